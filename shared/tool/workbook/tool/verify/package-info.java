/** Checking the workbook: verify, the catalogue of mistakes and their first messages, the conventions, mutation testing. */
package workbook.tool.verify;
