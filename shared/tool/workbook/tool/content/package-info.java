/** The workbook's content as the tool reads it: the labs, their READMEs, the catalog, the lists of labs, a run's results. */
package workbook.tool.content;
