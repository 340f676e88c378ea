/** Running a lab's tests: through JBang or warm (WarmRunner, the Daemon), on every save (watch), the story page served, the room told. */
package workbook.tool.run;
