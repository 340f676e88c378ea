// Apache Avro, the real tool behind lab 14: its SchemaCompatibility judges the lab's verdicts on
// generated schemas (lab 14's test and shared/test/Lab14AvroJudgeTest.java source this file).
//DEPS org.apache.avro:avro:1.12.1
package workbook.avro;

/** Where Avro's version is pinned: the //DEPS line above, and nowhere else. */
final class AvroRuntime {
  private AvroRuntime() {}
}
