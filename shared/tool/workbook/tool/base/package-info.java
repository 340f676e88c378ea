/** What every part of the tool uses: its errors and exit codes, settings, files, JSON, git, progress lines. */
package workbook.tool.base;
