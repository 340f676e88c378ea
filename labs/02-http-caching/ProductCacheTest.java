///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ProductApi.java ../../shared/src/workbook/test/*.java ../../shared/src/workbook/httpcache/*.java

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import workbook.rest.Rest;
import workbook.story.Story;

@DisplayName("Lab 02: HTTP caching")
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // in an IDE too, a hang that ignores interrupts fails
class ProductCacheTest {
  public static void main(String[] args) { workbook.test.LabTests.run(ProductCacheTest.class, args); }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private ProductApi api;

  @BeforeEach
  void startApi() { api = new ProductApi(0); }

  // The JDK's digests, first in line, so that a test can make two requests' hashing step together (SteppingDigests).
  @org.junit.jupiter.api.BeforeAll
  static void steppingDigests() {
    java.security.Security.removeProvider(SteppingDigests.NAME);  // one left by an earlier run in this JVM
    java.security.Security.insertProviderAt(new SteppingDigests(), 1);
  }

  @org.junit.jupiter.api.AfterAll
  static void plainDigests() { java.security.Security.removeProvider(SteppingDigests.NAME); }

  /**
   * The JDK's own message digests (SUN's), which, while a test sets {@link #step}, meet the other request's after every
   * update and before every digest (LockStep): a digest shared between requests then mixes their bytes on every run,
   * not only when two requests happen to hash in the same instant. Without a step they are the JDK's, unchanged.
   */
  static final class SteppingDigests extends java.security.Provider {
    static final String NAME = "Lab02SteppingDigests";
    static volatile workbook.test.LockStep step;
    /** While a test sets it, the first digest to finish waits there until the test lets it go (Hold). */
    static volatile Hold hold;

    SteppingDigests() {
      super(NAME, "1.0", "the JDK's message digests, stepping with another request while a test asks");
      Map<String, List<String>> algorithms = Map.of("SHA-256", List.of("SHA256"), "SHA-1", List.of("SHA", "SHA1"),
          "MD5", List.of(), "SHA-224", List.of("SHA224"), "SHA-384", List.of("SHA384"), "SHA-512", List.of("SHA512"),
          "SHA-512/256", List.of("SHA512/256"), "SHA3-256", List.of(), "SHA3-512", List.of());
      algorithms.forEach((algorithm, aliases) -> putService(
          new Service(this, "MessageDigest", algorithm, Stepping.class.getName(), aliases, null) {
            @Override public Object newInstance(Object parameter) throws java.security.NoSuchAlgorithmException {
              try {
                return new Stepping(java.security.MessageDigest.getInstance(algorithm, "SUN"));
              } catch (java.security.NoSuchProviderException e) {
                throw new java.security.NoSuchAlgorithmException(e);
              }
            }
          }));
    }
  }

  static final class Stepping extends java.security.MessageDigestSpi {
    private final java.security.MessageDigest real;

    Stepping(java.security.MessageDigest real) { this.real = real; }

    @Override protected void engineUpdate(byte input) { real.update(input); meet(); }
    @Override protected void engineUpdate(byte[] input, int offset, int length) { real.update(input, offset, length); meet(); }
    @Override protected byte[] engineDigest() {
      meet();
      Hold held = SteppingDigests.hold;
      if (held != null) held.await();
      return real.digest();
    }
    @Override protected void engineReset() { real.reset(); }
    @Override protected int engineGetDigestLength() { return real.getDigestLength(); }

    private static void meet() {
      workbook.test.LockStep step = SteppingDigests.step;
      if (step != null) step.await();
    }
  }

  /**
   * One request held in the middle of its hashing: the first digest to finish after the test sets it waits
   * until the test lets it go (20 s at most), so the test can read another product, or change this one,
   * while that request has read its body but not yet sent its ETag, on every run, not by chance.
   */
  static final class Hold {
    final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();

    void await() {
      if (!taken.compareAndSet(false, true)) return;  // only the first digest is held
      reached.countDown();
      try {
        release.await(20, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @AfterEach
  void stopApi() { api.close(); }

  @Test
  @DisplayName("a product answers 200 with its JSON")
  void answersJson() throws Exception {
    HttpResponse<String> response = get("/products/1");
    assertThat(response.statusCode()).as("GET /products/1").isEqualTo(200);
    assertThat(response.body()).as("GET /products/1").contains("\"price\":7.50");
  }

  @Test
  @DisplayName("an unknown product answers 404")
  void unknownIs404() throws Exception {
    assertThat(get("/products/99").statusCode()).as("GET /products/99").isEqualTo(404);
  }

  @Test
  @DisplayName("HEAD is GET without the body: 200 for a product, 404 for an unknown one")
  void headIsGetWithoutBody() throws Exception {
    HttpResponse<String> head = head("/products/1");
    assertThat(head.statusCode()).as("HEAD /products/1").isEqualTo(200);
    assertThat(head.body()).as("HEAD /products/1 has no body").isEmpty();
    assertThat(head.headers().firstValue("Content-Type")).as("HEAD says what GET would send").hasValue("application/json");
    assertThat(head("/products/99").statusCode()).as("HEAD /products/99").isEqualTo(404);
  }

  @Nested
  @Tag("step1")
  @DisplayName("Step 1: Cache-Control")
  class Step1 {
    @Test
    @DisplayName("a product says Cache-Control: public, max-age=60")
    void publicForSixtySeconds() throws Exception {
      // Every Cache-Control line: two lines are one list (RFC 9110, 5.3), "public" on one and "max-age=60" on another too.
      List<String> lines = get("/products/1").headers().allValues("Cache-Control");
      String header = lines.isEmpty() ? null : String.join(", ", lines);
      assertThat(directives(header))
          .as("TODO 1: Cache-Control should be \"public, max-age=60\" (see hint 1), but was %s", header)
          .containsExactlyInAnyOrder("public", "max-age=60");
    }

    @Test
    @DisplayName("HEAD says the same Cache-Control as GET")
    void headSaysTheSame() throws Exception {
      List<String> lines = head("/products/1").headers().allValues("Cache-Control");
      String header = lines.isEmpty() ? null : String.join(", ", lines);
      assertThat(directives(header))
          .as("TODO 1: a HEAD answer carries the headers GET would send; Cache-Control was %s", header)
          .containsExactlyInAnyOrder("public", "max-age=60");
    }

    @Test
    @DisplayName("a 404 (GET or HEAD) is made cacheable for no time at all (a new product would stay invisible)")
    void notFoundIsNotCacheable() throws Exception {
      for (HttpResponse<String> missing : List.of(get("/products/99"), head("/products/99"))) {
        String header = String.join(", ", missing.headers().allValues("Cache-Control"));
        assertThat(directives(header))
            .as("TODO 1: set Cache-Control on the 200 answer only; a %s 404 said \"%s\", and any freshness on it "
                + "(max-age, s-maxage, public) lets caches hide a product created meanwhile", missing.request().method(), header)
            .noneMatch(d -> d.startsWith("max-age") || d.startsWith("s-maxage") || d.equals("public") || d.equals("immutable"));
        assertThat(missing.headers().firstValue("Expires")).as("TODO 1: nor an Expires on the 404").isEmpty();
      }
    }
  }

  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)  // the quick tests first: they name a mistake sooner
  @Tag("step2")
  @DisplayName("Step 2: ETag")
  class Step2 {
    @Test
    @DisplayName("the ETag is a strong validator in quotes")
    void quotedStrongEtag() throws Exception {
      String etag = etagOf("/products/1");
      assertThat(etag)
          .as("TODO 2: ETag must look like \"3a7bd3e2\": quotes included, no W/ prefix (see hint 2); it was %s", etag)
          .matches("\"[\\x21\\x23-\\x7E]+\"");
    }

    @Test
    @DisplayName("reading the same product twice gives the same ETag")
    void stableEtag() throws Exception {
      String first = etagOf("/products/1");
      assertThat(etagOf("/products/1"))
          .as("TODO 2: an unchanged product must keep its ETag, or no cache can ever revalidate it")
          .isNotNull().isEqualTo(first);
    }

    @Test
    @DisplayName("a change of the price, or of the name alone, gives a new ETag")
    void changeChangesEtag() throws Exception {
      String before = etagOf("/products/1");
      api.changePrice(1, "8.20");
      String repriced = etagOf("/products/1");
      assertThat(repriced)
          .as("TODO 2: the body changed but the ETag did not, so caches would keep the old price; "
              + "derive the ETag from the body, not from the id or a constant (see hint 2)")
          .isNotNull().isNotEqualTo(before);
      api.rename(1, "Espresso cup, large");
      HttpResponse<String> renamed = get("/products/1");
      assertThat(renamed.body()).as("the test's premise: the body shows the new name").contains("Espresso cup, large");
      assertThat(renamed.headers().firstValue("ETag").orElse(null))
          .as("TODO 2: only the name changed, and the ETag stayed %s: an ETag made from some fields (the id, the price) "
              + "misses a change of the others, and caches keep the old name; hash the body you send, all of it "
              + "(see hint 2)", repriced)
          .isNotNull().isNotEqualTo(repriced);
      // Other bodies whose name and price, run together, read the same text: each body is another version.
      String original = etagOf("/products/1");
      String text = "Espresso cup, large" + "8.20";
      for (int cut = text.length() - 1; cut > text.length() - 4; cut--) {
        String name = text.substring(0, cut);
        String price = text.substring(cut);
        if (!price.matches("\\d+(\\.\\d+)?")) continue;
        api.rename(1, name);
        api.changePrice(1, price);
        HttpResponse<String> other = get("/products/1");
        assertThat(other.headers().firstValue("ETag").orElse(null))
            .as("TODO 2: the body %s is not the body with name \"Espresso cup, large\" and price 8.20, yet both got the ETag"
                + " %s: an ETag made from the fields run together (name + price) gives two bodies one tag; hash the body you"
                + " send, all of it (see hint 2)", other.body(), original)
            .isNotNull().isNotEqualTo(original);
      }
      // A body of more than 1 MB whose last letter changes: the whole body is hashed, not its first kilobytes.
      String longName = "Espresso cup " + "x".repeat(1 << 20);
      api.rename(1, longName + "A");
      String endsInA = etagOf("/products/1");
      api.rename(1, longName + "B");
      assertThat(etagOf("/products/1"))
          .as("TODO 2: a name of more than a million letters changed only in its last letter, and the ETag stayed %s: the"
              + " tag was made from part of the body (its first characters); hash the body you send, all of it, however"
              + " long (see hint 2)", endsInA)
          .isNotNull().isNotEqualTo(endsInA);
    }

    @Test
    @DisplayName("two prices whose bodies share a 32-bit String.hashCode, CRC32 or Adler-32 still get different ETags")
    void noCollisionOfShortHashes() throws Exception {
      // Found by search: each pair's two bodies differ, yet share that 32-bit hash (however the tag prints it: 8 hex
      // digits, or spread over 16 by a multiplier, two versions still share it).
      String[][] pairs = {{"String.hashCode", "898739675.75", "363903106.83"}, {"CRC32", "355614183.38", "796639057.68"},
          {"Adler-32", "876309004.97", "882535018.67"}};
      for (String[] pair : pairs) {
        api.changePrice(1, pair[1]);
        HttpResponse<String> first = get("/products/1");
        api.changePrice(1, pair[2]);
        HttpResponse<String> second = get("/products/1");
        assertThat(hash32(pair[0], first.body())).as("the test's premise: the two bodies collide in %s", pair[0])
            .isEqualTo(hash32(pair[0], second.body()));
        assertThat(second.headers().firstValue("ETag"))
            .as("TODO 2: the price changed from %s to %s but the ETag stayed %s: the two bodies share their %s, and a"
                + " 32-bit hash (String.hashCode, CRC32, Adler-32), however many digits it is printed with, gives two"
                + " bodies the same tag far too easily, and a cache is then told its old price is current; hash the"
                + " bytes with SHA-256 (see hint 2)", pair[1], pair[2], first.headers().firstValue("ETag").orElse("(none)"), pair[0])
            .isNotEqualTo(first.headers().firstValue("ETag"));
      }
    }

    /** The 32-bit hash {@code name} of a body: String.hashCode, or CRC32 / Adler-32 of its UTF-8 bytes. */
    static long hash32(String name, String body) {
      if (name.equals("String.hashCode")) return body.hashCode();
      java.util.zip.Checksum sum = name.equals("CRC32") ? new java.util.zip.CRC32() : new java.util.zip.Adler32();
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      sum.update(bytes, 0, bytes.length);
      return sum.getValue();
    }

    @Test
    @Order(Order.DEFAULT + 1)
    @DisplayName("generated prices: every version of the body gets its own ETag, from a hash of 48 bits or more")
    void everyVersionItsOwnEtag() throws Exception {
      long seed = Versus.seed();
      Random random = new Random(seed);
      Map<String, String> priceByEtag = new java.util.HashMap<>();
      List<String> opaques = new ArrayList<>();
      for (int c = 0; c < 200; c++) {
        String price = random.nextInt(1_000_000) + "." + (10 + random.nextInt(90));
        api.changePrice(1, price);
        String etag = etagOf("/products/1");
        assertThat(etag).as("TODO 2: send an ETag on every 200").isNotNull();
        String earlier = priceByEtag.putIfAbsent(etag, price);
        assertThat(earlier == null || earlier.equals(price))
            .as("TODO 2: the prices %s and %s gave two different bodies the same ETag %s: a cache holding one is told it is "
                + "current when the other is (generated from seed %d; LAB02_SEED=<seed> ./jbang "
                + "labs/02-http-caching/ProductCacheTest.java repeats it; see hint 2)", earlier, price, etag, seed)
            .isTrue();
        String opaque = etag.startsWith("W/") ? etag.substring(2) : etag;
        opaques.add(opaque.length() >= 2 ? opaque.substring(1, opaque.length() - 1) : opaque);
      }
      // How many versions the tag can tell apart: per position, log2 of the characters seen there over 200 versions.
      int longest = opaques.stream().mapToInt(String::length).max().orElse(0);
      double bits = 0;
      for (int i = 0; i < longest; i++) {
        final int at = i;
        long seen = opaques.stream().map(o -> at < o.length() ? o.charAt(at) : '\0').distinct().count();
        bits += Math.log(seen) / Math.log(2);
      }
      assertThat(bits)
          .as("TODO 2: over 200 versions the ETags used about %.0f bits (e.g. %s): a tag of 32 bits (String.hashCode, "
              + "CRC32, a hash cut to 8 hex digits, a record's hashCode) is shared by two versions far too easily (half the "
              + "time within 77,000 of them), and a cache is then told its old price is current; send a hash of 48 bits or "
              + "more of the body, e.g. 128 bits of SHA-256 (see hint 2)", bits, opaques.get(0))
          .isGreaterThanOrEqualTo(48);
    }

    @Test
    @DisplayName("two products have different ETags, and HEAD gives the same ETag as GET")
    void etagPerRepresentation() throws Exception {
      String one = etagOf("/products/1");
      assertThat(etagOf("/products/2")).as("TODO 2: products 1 and 2 have different bodies, so different ETags")
          .isNotNull().isNotEqualTo(one);
      api.rename(2, "Espresso cup");  // product 2 now alike product 1 but for its id, which its body shows
      api.changePrice(2, "7.50");
      assertThat(etagOf("/products/2"))
          .as("TODO 2: products 1 and 2 now have the same name and price but their bodies differ by the id, yet they share"
              + " the ETag %s: hash the body you send, all of it, not some of the product's fields (see hint 2)", one)
          .isNotNull().isNotEqualTo(one);
      assertThat(head("/products/1").headers().firstValue("ETag"))
          .as("TODO 2: HEAD describes the same representation as GET, so it has the same ETag").hasValue(one);
    }

    @Test
    @DisplayName("a replica on a machine with another default charset agrees on the ETag of a name with accents: the bytes hashed are the body's UTF-8")
    void replicaWithAnotherCharsetAgrees() throws Exception {
      api.rename(1, "Café crème, tasse à 7½ cl");  // letters outside ASCII: their bytes differ from charset to charset
      String here = etagOf("/products/1");
      assertThat(here).as("TODO 2: send an ETag on every 200").isNotNull();
      // Another machine: on Java 17 the default charset follows its locale (cp1252 on Windows, ASCII under LANG=C).
      java.nio.charset.Charset other = java.nio.charset.Charset.defaultCharset().equals(StandardCharsets.ISO_8859_1)
          ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
      HttpResponse<String> there = workbook.test.PlatformCharset.with(other, () -> get("/products/1"));
      assertThat(there.headers().firstValue("ETag").orElse(null))
          .as("TODO 2: the same body %s got the ETag %s here and %s on a replica whose default charset is %s (a Windows"
              + " machine, or Java 17 under another locale): the bytes hashed depend on the machine, so a revalidation that"
              + " reaches the other replica costs a full 200; String.getBytes() without a charset uses the machine's: hash"
              + " body.getBytes(StandardCharsets.UTF_8), the bytes the server sends (see hint 2)",
              there.body(), here, there.headers().firstValue("ETag").orElse("(none)"), other)
          .isEqualTo(here);
      // Two names that differ only in a letter no one-byte charset (ISO-8859-1, ASCII) holds: both would be "?" there.
      api.rename(1, "Tasse \u20ac");  // the euro sign
      String euro = etagOf("/products/1");
      api.rename(1, "Tasse \u20a4");  // the lira sign
      assertThat(etagOf("/products/1"))
          .as("TODO 2: the names \"Tasse \u20ac\" and \"Tasse \u20a4\" make two bodies, yet both got the ETag %s: bytes of a"
              + " charset without these letters (ISO-8859-1, US-ASCII) turn both into \"?\"; hash the body's UTF-8 bytes,"
              + " the bytes the server sends (see hint 2)", euro)
          .isNotNull().isNotEqualTo(euro);
    }

    @Test
    @DisplayName("two replicas with the same product agree on its ETag, a replica started afresh (as another process) too")
    void replicasAgree() throws Exception {
      try (ProductApi replica = new ProductApi(0)) {
        String fromReplica = etagOf(replica.url() + "/products/1");
        assertThat(etagOf("/products/1"))
            .as("TODO 2: behind a load balancer the next request may reach another replica; an ETag "
                + "made from a counter, a clock or a random value differs there (see hint 2)")
            .isNotNull().isEqualTo(fromReplica);
      }
      // Another process: ProductApi loaded once more, so its static fields start afresh as on another machine.
      ClassLoader fresh = new FreshProductApi(ProductApi.class.getClassLoader());
      Class<?> type = fresh.loadClass("ProductApi");
      java.lang.reflect.Constructor<?> make = type.getDeclaredConstructor(int.class);
      make.setAccessible(true);
      try (AutoCloseable other = (AutoCloseable) make.newInstance(0)) {
        java.lang.reflect.Method url = type.getDeclaredMethod("url");
        url.setAccessible(true);
        String fromOtherProcess = etagOf(url.invoke(other) + "/products/1");
        assertThat(etagOf("/products/1"))
            .as("TODO 2: a replica started afresh, as another process would (its static fields made anew), sent ETag %s"
                + " for the same body: an ETag salted with a value drawn once per process (a random UUID, the start"
                + " time, a static counter) differs on every replica, and each revalidation that reaches another one"
                + " costs a full 200; hash the body and nothing else (see hint 2)", fromOtherProcess)
            .isNotNull().isEqualTo(fromOtherProcess);
      }
    }

    @Test
    @Order(Order.DEFAULT + 1)
    @DisplayName("requests at the same time get the same ETag for the same body: nothing in the hash is shared between requests")
    void overlappingRequestsSameEtag() throws Exception {
      String small = etagOf("/products/1");
      assertThat(small).as("TODO 2: send an ETag on every 200").isNotNull();
      // Two requests whose hashing steps together: each update and each digest meets the other request's.
      SteppingDigests.step = new workbook.test.LockStep(Duration.ofSeconds(2));
      List<Object> stepped;
      try {
        stepped = SteppingDigests.step.run(
            () -> head("/products/1").headers().firstValue("ETag").orElse("(none)"),
            () -> head("/products/1").headers().firstValue("ETag").orElse("(none)"));
      } finally {
        SteppingDigests.step = null;
      }
      assertThat(stepped)
          .as("TODO 2: two requests for the same unchanged product hashed its body at the same time, step for step, and"
              + " got these ETags instead of %s twice: a MessageDigest kept in a field is shared by requests at the same"
              + " time and mixes their bytes (it is not thread-safe): get a new one in every call (see hint 2)", small)
          .containsExactly(small, small);
      // Other state shared between requests: a large body keeps each request busy long enough to overlap.
      api.rename(1, "Espresso cup " + "x".repeat(200_000));
      String alone = etagOf("/products/1");
      int rounds = 8;
      java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
      java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        List<java.util.concurrent.Future<List<String>>> both = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
          both.add(readers.submit(() -> {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
              together.await(20, java.util.concurrent.TimeUnit.SECONDS);  // both requests leave at once
              seen.add(send(request("/products/1").method("HEAD", HttpRequest.BodyPublishers.noBody()))
                  .headers().firstValue("ETag").orElse("(none)"));
            }
            return seen;
          }));
        }
        List<String> other = new ArrayList<>();
        for (var reader : both) for (String etag : reader.get(50, java.util.concurrent.TimeUnit.SECONDS)) if (!etag.equals(alone)) other.add(etag);
        assertThat(other)
            .as("TODO 2: two readers asked for the same unchanged product %d times each, always at the same time, and"
                + " these answers carried another ETag than %s: the hash of a body must be the same whatever else the"
                + " server is doing; a MessageDigest kept in a field is shared by requests at the same time and mixes"
                + " their bytes (it is not thread-safe): get a new one in every call (see hint 2)", rounds, alone)
            .isEmpty();
      } finally {
        readers.shutdownNow();
      }
    }

    @Test
    @Order(Order.DEFAULT + 2)
    @DisplayName("a request held while it hashes, as another product is read or its product changes: every answer, then and later, carries the ETag of its own body")
    void heldHashKeepsEveryEtagItsOwn() throws Exception {
      // The ETag of each body, as a replica started afresh (static fields of its own) sends it, one request at a time.
      String one = etagOnFreshReplica(1, null);
      String two = etagOnFreshReplica(2, null);
      String repriced = etagOnFreshReplica(1, "8.20");
      List<String> wrong = new ArrayList<>();
      // Product 2 read, then product 1 held while it hashes its body and product 2 is read whole meanwhile; then each again.
      check(get("/products/2"), two, "read first", wrong);
      check(held(() -> get("/products/2"), wrong, two, "product 2 read"), one, "held while product 2 was read", wrong);
      check(get("/products/2"), two, "read after that", wrong);
      check(get("/products/1"), one, "read after that", wrong);
      // Product 1 repriced to 8.20, held while it hashes that body and its price goes back to 7.50 meanwhile; then again.
      api.changePrice(1, "8.20");
      check(held(() -> {
        api.changePrice(1, "7.50");
        return null;
      }, wrong, null, null), repriced, "priced 8.20, held while its price went back to 7.50", wrong);
      check(get("/products/1"), one, "read after that, priced 7.50 again", wrong);
      check(get("/products/2"), two, "read after that", wrong);
      assertThat(wrong)
          .as("TODO 2: a request for product 1 was held in the middle of hashing its body while another product was read,"
              + " or while its price changed, and these answers then carried an ETag that is not their body's (as a replica"
              + " started afresh computes it): an ETag remembered between requests (the last body hashed and its tag, a tag"
              + " per product id forgotten on change) is shared by requests at the same time, and one request's tag ends up"
              + " next to another body, so caches are told an old price is current. Hash the body of each answer in the"
              + " request itself, keeping nothing between requests (see hint 2)")
          .isEmpty();
    }

    /**
     * Reads product 1 while its first digest is held, runs {@code meanwhile} (checked as {@code what} against
     * {@code due} when it is a request), then lets the held request go on; its answer. A correct answer that
     * serialises its hashing (a lock) makes {@code meanwhile} wait for the held request: it is let go after 10 s.
     */
    private HttpResponse<String> held(java.util.concurrent.Callable<HttpResponse<String>> meanwhile, List<String> wrong,
        String due, String what) throws Exception {
      Hold hold = new Hold();
      java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
      SteppingDigests.hold = hold;
      try {
        var first = threads.submit(() -> get("/products/1"));
        // Until it is held in its hash (or has answered without a JDK digest: nothing to hold, nothing to check).
        while (!hold.reached.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !first.isDone()) { }
        SteppingDigests.hold = null;
        var other = threads.submit(meanwhile);
        HttpResponse<String> otherAnswer = null;
        try {
          otherAnswer = other.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException serialised) {
          // a lock makes it wait for the held request: let that one go on first
        }
        hold.release.countDown();
        if (otherAnswer == null) otherAnswer = other.get(30, java.util.concurrent.TimeUnit.SECONDS);
        if (otherAnswer != null) check(otherAnswer, due, what + " while product 1 was held", wrong);
        return first.get(30, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        SteppingDigests.hold = null;
        hold.release.countDown();
        threads.shutdownNow();
      }
    }

    private static void check(HttpResponse<String> answer, String due, String when, List<String> wrong) {
      String etag = answer.headers().firstValue("ETag").orElse("(none)");
      if (!etag.equals(due)) wrong.add(answer.body() + " (" + when + ") came with ETag " + etag + ", its body's is " + due);
    }

    /** The ETag a replica started afresh, as another process (static fields of its own), sends for a product. */
    private String etagOnFreshReplica(int id, String price) throws Exception {
      Class<?> type = new FreshProductApi(ProductApi.class.getClassLoader()).loadClass("ProductApi");
      java.lang.reflect.Constructor<?> make = type.getDeclaredConstructor(int.class);
      make.setAccessible(true);
      try (AutoCloseable replica = (AutoCloseable) make.newInstance(0)) {
        if (price != null) {
          java.lang.reflect.Method change = type.getDeclaredMethod("changePrice", int.class, String.class);
          change.setAccessible(true);
          change.invoke(replica, id, price);
        }
        java.lang.reflect.Method url = type.getDeclaredMethod("url");
        url.setAccessible(true);
        return etagOf(url.invoke(replica) + "/products/" + id);
      }
    }
  }

  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)  // the quick tests first: they name a mistake sooner
  @Tag("step3")
  @DisplayName("Step 3: conditional GET")
  class Step3 {
    @Test
    @DisplayName("If-None-Match with the current ETag is a 304 with an empty body")
    void notModifiedHasNoBody() throws Exception {
      String raw = rawGet("/products/1", currentEtag());
      String head = raw.split("\r\n\r\n", 2)[0];
      String body = raw.contains("\r\n\r\n") ? raw.split("\r\n\r\n", 2)[1] : "";
      assertThat(head.lines().findFirst().orElse(""))
          .as("TODO 3: If-None-Match named the current ETag, so the answer should be 304 (see hint 3)")
          .contains(" 304 ");
      assertThat(body).as("TODO 3: a 304 has no body; nothing may follow the headers").isEmpty();
      assertThat(api.bodiesOn304())
          .as("TODO 3: the handler set a body on the 304; Jetty drops it from the wire, but HTTP says a 304 "
              + "has none, so do not set a result at all (see hint 3)")
          .isZero();
    }

    @Test
    @DisplayName("the 304 repeats ETag and Cache-Control, so caches can refresh their entry, for every If-None-Match that gets one (strong, weak, list, *), on GET and HEAD")
    void notModifiedKeepsHeaders() throws Exception {
      String etag = currentEtag();
      HttpResponse<String> response = get("/products/1", "If-None-Match", etag);
      assertThat(response.statusCode()).as("TODO 3: If-None-Match: %s should get a 304", etag).isEqualTo(304);
      assertThat(response.headers().firstValue("ETag"))
          .as("TODO 3: set the headers before you decide to answer 304").hasValue(etag);
      List<String> full = directives(String.join(", ", get("/products/1").headers().allValues("Cache-Control")));
      // Every way of asking that gets a 304 (strong, weak, in a list, *), on GET and HEAD: each 304 names the current ETag.
      for (String asked : List.of(etag, "W/" + etag, "\"some-older-one\", W/" + etag, "*")) {
        for (String method : List.of("GET", "HEAD")) {
          HttpResponse<String> notModified = send(request("/products/1", "If-None-Match", asked)
              .method(method, HttpRequest.BodyPublishers.noBody()));
          assertThat(notModified.statusCode()).as("TODO 3: %s with If-None-Match: %s should get a 304", method, asked)
              .isEqualTo(304);
          assertThat(notModified.headers().allValues("ETag"))
              .as("TODO 3: the 304 to %s with If-None-Match: %s must repeat the current ETag %s, the one the 200 sends, "
                  + "never the tags the client asked with nor none: a cache refreshes the stored answer that ETag names "
                  + "(RFC 9110, 15.4.5; RFC 9111, 4.3.4). Set the headers first, then decide on 304, for * too (see hint 3)",
                  method, asked, etag)
              .containsExactly(etag);
          String header = String.join(", ", notModified.headers().allValues("Cache-Control"));
          assertThat(directives(header))
              .as("TODO 3: a 304 must carry the same Cache-Control as the 200 would (%s), since caches replace what "
                  + "they stored with it (RFC 9111, 4.3.4); for %s with If-None-Match: %s it said \"%s\" (see hint 3)",
                  full, method, asked, header)
              .containsExactlyInAnyOrderElementsOf(full);
        }
      }
    }

    @Test
    @DisplayName("an outdated ETag gets a 200 with the new body and the new ETag")
    void outdatedEtagGetsFullAnswer() throws Exception {
      String old = currentEtag();
      api.changePrice(1, "8.20");
      HttpResponse<String> response = get("/products/1", "If-None-Match", old);
      assertThat(response.statusCode())
          .as("TODO 3: the product changed since ETag %s, so the answer must be a full 200", old).isEqualTo(200);
      assertThat(response.body()).as("TODO 3: the 200 must carry the new price").contains("8.20");
      assertThat(response.headers().firstValue("ETag")).as("TODO 3: and the new ETag").isNotEqualTo(java.util.Optional.of(old));
    }

    @Test
    @DisplayName("a list of ETags that includes the current one is a 304")
    void listOfEtags() throws Exception {
      String header = "\"some-older-one\", " + currentEtag();
      assertThat(get("/products/1", "If-None-Match", header).statusCode())
          .as("TODO 3: If-None-Match may list several ETags separated by commas (a proxy holding "
              + "several versions); any match means 304. Sent: %s (see hint 3)", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("If-None-Match on two lines is one list: the current ETag on the second line is a 304, on GET and HEAD")
    void ifNoneMatchOnTwoLines() throws Exception {
      String etag = currentEtag();
      for (String second : List.of(etag, "W/" + etag)) {
        for (String method : List.of("GET", "HEAD")) {
          HttpRequest.Builder request = request("/products/1", "If-None-Match", "\"some-older-one\"", "If-None-Match", second);
          int status = send(request.method(method, HttpRequest.BodyPublishers.noBody())).statusCode();
          assertThat(status)
              .as("TODO 3: %s sent If-None-Match: \"some-older-one\" and, on a second line, If-None-Match: %s; two lines "
                  + "are one list (RFC 9110, 5.3), so the current ETag is in it: 304. Read the header with the given "
                  + "ifNoneMatch(ctx), not ctx.header (see hint 3)", method, second)
              .isEqualTo(304);
        }
      }
    }

    @Test
    @DisplayName("the weak form W/\"...\" of the current ETag is a 304 too")
    void weakFormMatches() throws Exception {
      String header = "W/" + currentEtag();
      assertThat(get("/products/1", "If-None-Match", header).statusCode())
          .as("TODO 3: If-None-Match compares weakly: a proxy that compresses the body marks your ETag "
              + "W/ and the browser sends it back like that. Sent: %s (see hint 3)", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("a list written without spaces, or with tabs around its commas, with the weak form, still matches")
    void compactListMatches() throws Exception {
      String etag = currentEtag();
      // Around each comma: optional whitespace (OWS), spaces or tabs, or none at all (RFC 9110, 5.6.1).
      for (String comma : List.of(",", ",\t", "\t,\t", " ,  ")) {
        String header = "\"some-older-one\"" + comma + "W/" + etag;
        assertThat(get("/products/1", "If-None-Match", header).statusCode())
            .as("TODO 3: the commas in If-None-Match may have no space after them, or spaces and tabs around them"
                + " (optional whitespace); split on the comma and trim each part. Sent: %s (see hint 3)",
                header.replace("\t", "<TAB>"))
            .isEqualTo(304);
      }
    }

    @Test
    @DisplayName("only an entity-tag by its letter matches: quotes required, W/ in capitals, on GET and HEAD")
    void onlyEntityTagsMatch() throws Exception {
      String etag = currentEtag();
      String opaque = etag.substring(1, etag.length() - 1);
      for (String asked : List.of("w/" + etag, opaque, "W/" + opaque, "\"" + opaque, opaque + "\"", "\"x\", " + opaque,
          "W/ " + etag, "W/\t" + etag, "W/W/" + etag, "\"x\", W/W/" + etag)) {
        for (String method : List.of("GET", "HEAD")) {
          int status = send(request("/products/1", "If-None-Match", asked).method(method, HttpRequest.BodyPublishers.noBody()))
              .statusCode();
          assertThat(status)
              .as("TODO 3: %s with If-None-Match: %s (the ETag is %s) must get the full 200: an entity-tag is a quoted "
                  + "string, and its weak prefix is W/ in capitals (RFC 9110, 8.8.3); without the quotes or with w/ it "
                  + "is not this ETag, and nothing may stand between W/ and the quote, nor a second W/: compare each "
                  + "member whole, dropping only one leading W/ and trimming nothing after it (see hint 3)",
                  method, asked, etag)
              .isEqualTo(200);
        }
      }
    }

    @Test
    @DisplayName("another product's ETag is not a match")
    void otherProductsEtagIsNoMatch() throws Exception {
      currentEtag();
      String other = etagOf("/products/2");
      HttpResponse<String> response = get("/products/1", "If-None-Match", other);
      assertThat(response.statusCode())
          .as("TODO 3: If-None-Match: %s names product 2's answer, not product 1's; only the current ETag of "
              + "this resource gives a 304", other)
          .isEqualTo(200);
    }

    @Test
    @DisplayName("If-None-Match: * is a 304 for a product that exists, and a 404 for one that does not")
    void starMatchesAnyCurrentRepresentation() throws Exception {
      currentEtag();
      assertThat(get("/products/1", "If-None-Match", "*").statusCode())
          .as("TODO 3: If-None-Match: * means \"any version you have\"; product 1 exists, so 304 (RFC 9110, 13.1.2)")
          .isEqualTo(304);
      assertThat(get("/products/99", "If-None-Match", "*").statusCode())
          .as("TODO 3: with no product 99 there is no version to match: the answer stays 404, never a 304 "
              + "(decide on 304 only after you found the product)")
          .isEqualTo(404);
    }

    @Test
    @DisplayName("HEAD with the current ETag is a 304 too")
    void headIsConditionalToo() throws Exception {
      // The weak form: Javalin itself answers 304 when If-None-Match is exactly the ETag set, so only
      // the weak form shows what the handler decides.
      String header = "W/" + currentEtag();
      HttpResponse<String> response = send(request("/products/1", "If-None-Match", header).method("HEAD",
          HttpRequest.BodyPublishers.noBody()));
      assertThat(response.statusCode())
          .as("TODO 3: If-None-Match applies to GET and HEAD alike (RFC 9110, 13.1.2): HEAD with %s is a 304 "
              + "too; do not test the method", header)
          .isEqualTo(304);
    }

    @Test
    @DisplayName("the 304 has no Content-Type or Content-Length of its own")
    void notModifiedHasNoRepresentationHeaders() throws Exception {
      HttpResponse<String> full = get("/products/1");
      String raw = rawGet("/products/1", currentEtag());
      String head = raw.split("\r\n\r\n", 2)[0].toLowerCase(Locale.ROOT);
      assertThat(head.lines().findFirst().orElse("")).as("TODO 3: the current ETag gets a 304").contains(" 304 ");
      String contentType = field(head, "content-type");
      assertThat(contentType == null || contentType.equals(full.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT)))
          .as("TODO 3: the 304 stands for the 200 the client holds (application/json); its own Content-Type "
              + "\"%s\" would relabel that answer (RFC 9110, 15.4.5)", contentType)
          .isTrue();
      String length = field(head, "content-length");
      assertThat(length == null || length.equals(String.valueOf(full.body().getBytes(StandardCharsets.UTF_8).length)))
          .as("TODO 3: a 304 may only repeat the Content-Length of the 200 it stands for, never its own %s "
              + "(RFC 9110, 8.6)", length)
          .isTrue();
    }

    @Test
    @Order(Order.DEFAULT + 1)
    @DisplayName("generated If-None-Match headers: a 304 exactly when one member matches the current ETag weakly, or the header is *")
    void generatedIfNoneMatch() throws Exception {
      String etag = currentEtag();
      // First, on every run: the current tag with what proxies append when they change the bytes (Apache's -gzip, -br,
      // -deflate) or a digit more, strong and weak, on GET and HEAD: another entity-tag by its letter, so the full 200.
      String opaque = etag.substring(1, etag.length() - 1);
      for (String suffix : List.of("-gzip", "-br", "-deflate", "0")) {
        for (String weak : List.of("", "W/")) {
          for (boolean viaHead : new boolean[] {false, true}) {
            String other = weak + "\"" + opaque + suffix + "\"";
            assertThat(answersRight(false, List.of(other), etag, viaHead))
                .as("TODO 3: %s /products/1 with If-None-Match: %s (the current ETag is %s) must be a 200: a tag with more"
                    + " letters than the current one is another entity-tag (a proxy that appends %s has another"
                    + " representation), whatever it ends with; compare each member WHOLE, W/ dropped (see hint 3)",
                    viaHead ? "HEAD" : "GET", other, etag, suffix)
                .isTrue();
          }
        }
      }
      long seed = Versus.seed();
      Random random = new Random(seed);
      for (int c = 0; c < 120; c++) {
        boolean star = random.nextInt(12) == 0;
        List<String> members = new ArrayList<>();
        for (int n = 1 + random.nextInt(4); members.size() < n; ) members.add(member(random, etag));
        boolean viaHead = random.nextInt(4) == 0;
        if (answersRight(star, members, etag, viaHead)) continue;
        for (int i = members.size() - 1; i >= 0 && members.size() > 1; i--) {  // the smallest list that still fails
          List<String> fewer = new ArrayList<>(members);
          fewer.remove(i);
          if (!answersRight(star, fewer, etag, viaHead)) members = fewer;
        }
        String header = star ? "*" : String.join(", ", members);
        assertThat(answersRight(star, members, etag, viaHead))
            .as("TODO 3: %s /products/1 with If-None-Match: %s (the current ETag is %s) must be a %s: If-None-Match is a "
                + "list of entity-tags, each compared weakly (W/ dropped) and WHOLE with the current one, and * alone "
                + "means any version; a tag that merely contains the ETag or a star is another version. Case %d "
                + "generated from seed %d (LAB02_SEED=<seed> ./jbang labs/02-http-caching/ProductCacheTest.java "
                + "repeats it; see hint 3)", viaHead ? "HEAD" : "GET", header, etag,
                expected(star, members, etag) ? "304" : "200", c + 1, seed)
            .isTrue();
      }
    }

    /** One member of an If-None-Match list: the current tag (strong or weak) or a near miss. */
    private String member(Random random, String etag) {
      String opaque = etag.substring(1, etag.length() - 1);
      String weak = random.nextInt(3) == 0 ? "W/" : "";
      return weak + switch (random.nextInt(11)) {
        case 0, 1 -> etag;
        case 2 -> "\"" + opaque + random.nextInt(10) + "\"";        // longer: contains the current tag's text
        case 3 -> "\"" + opaque.substring(1) + "\"";                 // shorter: contained in it
        case 4 -> "\"*\"";                                            // a tag whose text is a star, not the wildcard
        case 5 -> "\"v*" + random.nextInt(100) + "\"";               // a tag with a star inside
        case 6 -> "\"" + opaque.toUpperCase(Locale.ROOT) + "\"";     // tags are case-sensitive
        case 7 -> "w/" + etag;                                         // the weak prefix is W/, in capitals
        case 8 -> opaque;                                             // no quotes: not an entity-tag
        case 9 -> "\"" + opaque;                                      // an unclosed quote
        default -> "\"" + Integer.toHexString(random.nextInt()) + "\"";
      };
    }

    private static boolean expected(boolean star, List<String> members, String etag) {
      return star || members.stream().map(m -> m.startsWith("W/") ? m.substring(2) : m).anyMatch(etag::equals);
    }

    private boolean answersRight(boolean star, List<String> members, String etag, boolean viaHead) throws Exception {
      String[] separators = {",", ", ", " , ", ",\t"};
      String header = star ? "*" : String.join(separators[members.size() % 4], members);
      HttpRequest.Builder request = request("/products/1", "If-None-Match", header);
      if (viaHead) request.method("HEAD", HttpRequest.BodyPublishers.noBody());
      return send(request).statusCode() == (expected(star, members, etag) ? 304 : 200);
    }

    private String currentEtag() throws Exception {
      String etag = etagOf("/products/1");
      assertThat(etag).as("Step 3 needs the ETag of step 2: do step 2 first").isNotNull();
      return etag;
    }
  }

  @Nested
  // The quick tests first, those that catch the most mistakes for their time before the others (@Order 1, 2, ...: from
  // verify's per-mistake seconds), the slow sweeps last: a mistake is named sooner, and verify pays less per mistake.
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  @Tag("step4")
  @DisplayName("Step 4: the client reuses fresh answers")
  class Step4 extends ClientSteps {
    @Test
    @Order(13)
    @DisplayName("first reads of two entries overlap: one slow server answer does not hold up the other")
    void fetchesOverlap() throws Exception {
      origin.gate = new java.util.concurrent.CountDownLatch(2);
      java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        var first = readers.submit(() -> client.get("/products/1"));
        var second = readers.submit(() -> client.get("/products/2"));
        first.get(20, java.util.concurrent.TimeUnit.SECONDS);
        second.get(20, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        readers.shutdownNow();
      }
      assertThat(origin.metAtGate)
          .as("TODO 4: two readers read two different entries for the first time, and the server held each request until"
              + " the other arrived (5 s at most): they never were in flight together. Do not serialise fetching and storing"
              + " (synchronized on fetch, get or a shared lock): the map is concurrent already, and the given handle keeps"
              + " the newest answer per URL, so one slow answer would stall every reader for nothing")
          .containsExactly(true, true);
    }

    @Test
    @Order(15)
    @DisplayName("a fresh answer is served from the cache, without a request")
    void freshFromCache() throws Exception {
      CachingClient.Reply first = client.get("/products/1");
      later(30);
      CachingClient.Reply second = client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: 30 s after a max-age=60 answer the client must not ask again (see hint 4)").isEqualTo(1);
      assertThat(second).as("TODO 4: the cached answer is the one the server gave").isEqualTo(first);
    }

    @Test
    @Order(16)
    @DisplayName("max-age counts in seconds: still fresh at 59 s")
    void freshForWholeMaxAge() throws Exception {
      client.get("/products/1");
      later(59);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: max-age=60 means 60 seconds from the moment you stored it, on the client's clock")
          .isEqualTo(1);
    }

    @Test
    @Order(12)
    @DisplayName("an error is never reused, even when it says max-age")
    void errorsAreNotCached() throws Exception {
      origin.status = 500;
      assertThat(client.get("/products/1").status()).as("the origin answers 500 first").isEqualTo(500);
      origin.status = 200;
      CachingClient.Reply next = client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: keep only 200 answers; the 500 was reused instead of asking again, which hides "
              + "the recovery (see hint 4)").isEqualTo(2);
      assertThat(next.status()).as("TODO 4: the second read gets the server's new answer").isEqualTo(200);
    }

    @Test
    @Order(7)
    @DisplayName("an answer without max-age is not reused")
    void noMaxAgeIsNotReused() throws Exception {
      origin.cacheControl = "public";
      client.get("/products/1");
      later(1);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: without max-age the server promised no freshness at all: ask again (store only answers "
              + "that have a max-age)").isEqualTo(2);
    }

    @Test
    @Order(10)
    @DisplayName("stale after max-age: 6 s after a max-age=5 answer the client asks again")
    void staleAfterMaxAge() throws Exception {
      origin.cacheControl = "public, max-age=5";
      client.get("/products/1");
      later(6);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: max-age=5 is 5 seconds: 6 s later the copy is stale and must not be served without asking")
          .isEqualTo(2);
      origin.etags = false;
      client.get("/products/2");
      later(6);
      client.get("/products/2");
      assertThat(origin.requests())
          .as("TODO 4: a stale copy without ETag cannot be revalidated, so it is fetched again, never served as it is "
              + "(RFC 9111, 4.2.4)")
          .isEqualTo(4);
    }

    @Test
    @Order(18)
    @DisplayName("no-store is never kept")
    void noStoreIsNotCached() throws Exception {
      origin.cacheControl = "max-age=60, no-store";
      client.get("/products/1");
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: Cache-Control: %s forbids keeping the answer at all: no-store wins over max-age "
              + "(RFC 9111, 5.2.2.5)", origin.cacheControl).isEqualTo(2);
    }

    @Test
    @Order(6)
    @DisplayName("no-cache is never reused without asking, even with max-age")
    void noCacheIsNotServedFresh() throws Exception {
      origin.cacheControl = "max-age=60, no-cache";
      client.get("/products/1");
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: Cache-Control: %s lets you keep the answer but not reuse it without asking the server first "
              + "(RFC 9111, 5.2.2.4): store it fresh for 0 s, not for its max-age (see hint 4)", origin.cacheControl)
          .isEqualTo(2);
    }

    @Test
    @Order(17)
    @DisplayName("stale at exactly max-age: 60 s after a max-age=60 answer the client asks again")
    void staleAtExactlyMaxAge() throws Exception {
      client.get("/products/1");
      later(60);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: an answer is fresh only while its age is BELOW max-age (RFC 9111, 4.2): at 60 s a max-age=60 "
              + "copy is stale and must not be served without asking").isEqualTo(2);
    }

    @Test
    @Order(2)
    @DisplayName("Age counts: a max-age=60 answer that arrives 50 s old is fresh for 10 s more, not 60")
    void ageHeaderCounts() throws Exception {
      origin.age = "50";
      client.get("/products/1");
      later(9);
      client.get("/products/1");
      assertThat(origin.requests()).as("TODO 4: 59 s old of 60 is still fresh").isEqualTo(1);
      later(1);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: the answer said Age: 50, so it spent 50 s in caches before it reached you; 10 s later its "
              + "age is 60 and it is stale: store it as received now minus its Age (RFC 9111, 4.2.3, see hint 4)")
          .isEqualTo(2);
      List<String> ages = List.of("60", "70", "100000", "2147483648", "99999999999999999999");
      for (String age : ages) {
        origin.age = age;
        int before = origin.requests();
        String path = "/products/" + (30 + ages.indexOf(age));  // a URL of its own: this Age reaches the 200 path too
        client.get(path);
        client.get(path);
        assertThat(origin.requests() - before)
            .as("TODO 4: an answer with max-age=60 and Age: %s is already stale when it arrives: the next read must ask "
                + "again (an Age at or beyond max-age is not an error to ignore, and one too large to count is 2^31 s, "
                + "never 0: RFC 9111, 1.2.2; read it with the given age)", age)
            .isEqualTo(2);
      }
      origin.age = "000000000050";  // 50 s: leading zeros count for nothing
      int before = origin.requests();
      client.get("/products/40");
      client.get("/products/40");
      assertThat(origin.requests() - before)
          .as("TODO 4: an answer with max-age=60 and Age: 000000000050 is 50 s old, fresh for 10 s more: the next read "
              + "is served from the cache (leading zeros count for nothing; read it with the given age)")
          .isEqualTo(1);
    }

    @Test
    @Order(9)
    @DisplayName("a private cache: private and public change nothing, and s-maxage (for shared caches) does not apply; must-revalidate waits for max-age")
    void privateCacheDirectives() throws Exception {
      String[][] cases = {{"private, max-age=60", "30", "1"}, {"public, max-age=60", "30", "1"},
          {"max-age=60, s-maxage=5", "30", "1"}, {"s-maxage=600, max-age=5", "6", "2"}, {"s-maxage=600", "1", "2"},
          {"max-age=60, must-revalidate", "30", "1"}, {"Proxy-Revalidate, max-age=60", "30", "1"}};
      for (String[] c : cases) {
        origin.cacheControl = c[0];
        String path = "/products/" + (100 + java.util.Arrays.asList(cases).indexOf(c));
        int before = origin.requests();
        client.get(path);
        later(Integer.parseInt(c[1]));
        client.get(path);
        assertThat(origin.requests() - before)
            .as("TODO 4: Cache-Control: %s read again %s s later: this client is a browser's own (private) cache, so "
                + "private does not stop it and s-maxage is not its max-age (RFC 9111, 5.2.2.7 and 5.2.2.10), and "
                + "must-revalidate and proxy-revalidate speak of stale answers only: a fresh one is reused (5.2.2.2, 5.2.2.8); "
                + "the server should have been asked %s time(s)", c[0], c[1], c[2])
            .isEqualTo(Integer.parseInt(c[2]));
      }
    }

    @Test
    @Order(3)
    @DisplayName("a max-age on a second Cache-Control line counts as much as on the first")
    void maxAgeOnSecondLine() throws Exception {
      origin.cacheControl = "public\nmax-age=60";
      client.get("/products/1");
      later(30);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: the answer said Cache-Control: public and, on a second line, Cache-Control: max-age=60; both "
              + "lines are one list (RFC 9110, 5.3), so keep it for 60 s (read it through cacheControl(response))")
          .isEqualTo(1);
    }

    @Test
    @Order(1)
    @DisplayName("a max-age that is no number of seconds is stale, one too large to count is 2^31 s: never an exception")
    void invalidOrHugeMaxAge() throws Exception {
      // delta-seconds is digits and nothing else (RFC 9111, 1.2.2): a sign, even "+", makes it no number of seconds.
      String[][] cases = {{"max-age=abc", "2"}, {"max-age=-5", "2"}, {"max-age=1.5", "2"}, {"max-age=99999999999999999999", "1"},
          {"max-age=+60", "2"}, {"max-age=000000000000", "2"}};  // leading zeros count for nothing: 000000000000 is 0 s, stale at once
      for (String[] c : cases) {
        origin.cacheControl = c[0];
        String path = "/products/" + (300 + java.util.Arrays.asList(cases).indexOf(c));
        int before = origin.requests();
        try {
          assertThat(client.get(path).status()).as("the origin answers 200").isEqualTo(200);
          later(1);
          client.get(path);
        } catch (RuntimeException e) {
          throw new AssertionError("TODO 4: Cache-Control: " + c[0] + " made the client throw " + e + "; a max-age that is "
              + "not a number of seconds means stale (RFC 9111, 4.2.1), and one too large to count means 2^31 s (1.2.2): "
              + "read it through the given cacheControl, which gives \"0\" and \"2147483648\" for them", e);
        }
        assertThat(origin.requests() - before)
            .as("TODO 4: Cache-Control: %s read again 1 s later: a max-age that is not a number of seconds is stale "
                + "(RFC 9111, 4.2.1), one too large to count is 2^31 s (1.2.2); the server should have been asked %s time(s)",
                c[0], c[1])
            .isEqualTo(Integer.parseInt(c[1]));
      }
      // Too large to count is 2^31 s, all of it: fresh a second before, stale at 2^31 s (no cap of a day or a year).
      origin.cacheControl = "max-age=99999999999999999999";
      client.get("/products/399");
      int before = origin.requests();
      later(2_147_483_647);
      client.get("/products/399");
      assertThat(origin.requests() - before)
          .as("TODO 4: Cache-Control: max-age=99999999999999999999 read again 2^31 - 1 s later was asked for again: a"
              + " max-age too large to count is 2^31 s (RFC 9111, 1.2.2), all of it, so the copy is still fresh; keep the"
              + " max-age the given cacheControl reads (\"2147483648\"), with no cap of your own (a day, a year)")
          .isEqualTo(0);
      later(1);
      client.get("/products/399");
      assertThat(origin.requests() - before)
          .as("TODO 4: Cache-Control: max-age=99999999999999999999 read again exactly 2^31 s later was not asked for: at"
              + " its max-age an answer is stale")
          .isEqualTo(1);
    }

    @Test
    @Order(11)
    @DisplayName("a directive given twice counts with its first value, never its last")
    void repeatedDirectiveFirstValue() throws Exception {
      List<String> cases = List.of("max-age=5, max-age=600", "max-age=5\nmax-age=600", "Max-Age=5, MAX-AGE=600, public");
      for (String cacheControl : cases) {
        origin.cacheControl = cacheControl;
        String path = "/products/" + (200 + cases.indexOf(cacheControl));
        int before = origin.requests();
        client.get(path);
        later(6);
        client.get(path);
        assertThat(origin.requests() - before)
            .as("TODO 4: Cache-Control: %s (a \\n starts a second line) gives max-age twice: a cache uses the first "
                + "value or takes the answer as stale (RFC 9111, 4.2.1), so 6 s later it asks again; never the last "
                + "value (the given cacheControl keeps the first: read max-age through it)", cacheControl)
            .isEqualTo(2);
      }
    }

    @Test
    @Order(5)
    @DisplayName("Cache-Control directives are read by name in any letter case, on every Cache-Control line")
    void directivesByTheirLetter() throws Exception {
      for (String cacheControl : List.of("max-age=60, No-Store", "MAX-AGE=60,NO-STORE", "max-age=60,\tno-store", "max-age=60\nno-store")) {
        origin.cacheControl = cacheControl;
        int before = origin.requests();
        client.get("/products/1");
        client.get("/products/1");
        assertThat(origin.requests() - before)
            .as("TODO 4: Cache-Control: %s says no-store (a \\n starts a second Cache-Control line, part of the same "
                + "list): directive names are case-insensitive (RFC 9111, 5.2); read them through cacheControl(response), "
                + "never by searching the header's text", cacheControl)
            .isEqualTo(2);
      }
    }

    @Test
    @Order(14)
    @DisplayName("a max-age in quotes (max-age=\"60\") counts as max-age=60: a directive's value is read in both forms")
    void quotedMaxAgeCounts() throws Exception {
      // RFC 9111, 5.2: a sender should write max-age=60, and recipients ought to accept the quoted form too.
      origin.cacheControl = "public, max-age=\"60\"";
      client.get("/products/1");
      later(30);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: Cache-Control: public, max-age=\"60\" read again 30 s later: a quoted value is the same value"
              + " (RFC 9111, 5.2), so the answer is fresh for 60 s; read it through the given cacheControl, which takes"
              + " the quotes off, never with quotes kept (\"60\" with quotes is no number: stale)")
          .isEqualTo(1);
      later(31);
      client.get("/products/1");
      assertThat(origin.requests()).as("TODO 4: max-age=\"60\", read again 61 s after it came: stale, asked again").isEqualTo(2);
    }

    @Test
    @Order(Order.DEFAULT + 1)
    @DisplayName("only a 200 is reused: every other status from 201 to 599 is asked for again, even with max-age")
    void onlyTwoHundredIsReused() throws Exception {
      List<Integer> reused = new ArrayList<>();
      List<String> notAsSent = new ArrayList<>();
      origin.location = "/products/moved";  // every 3xx points where a 200 is found: the caller gets the 3xx all the same
      for (int status = 201; status <= 599; status++) {
        if (status == 304) continue;  // the origin never sends a 304 unasked
        origin.status = status;
        int before = origin.requests();
        CachingClient.Reply first = client.get("/products/" + status);
        CachingClient.Reply second = client.get("/products/" + status);
        if (origin.requests() - before != 2) reused.add(status);
        if (first.status() != status || second.status() != status) {
          notAsSent.add(status + " (the caller got " + first.status() + ", then " + second.status() + ")");
        }
      }
      origin.location = null;
      assertThat(notAsSent)
          .as("TODO 4: the server answered these statuses (each 3xx with a Location), and the caller got another: every"
              + " answer reaches the caller as it came, a redirect too (the given HttpClient follows none: a 200 fetched from"
              + " the Location would be stored and served under the URL that was read)")
          .isEmpty();
      assertThat(reused)
          .as("TODO 4: these answers were reused from the cache (or asked for more than once a read) although the client keeps only 200 answers "
              + "(a 206 is a part, a 3xx points elsewhere, a 4xx or 5xx is an error the next read may not see)")
          .isEmpty();
    }

    @Test
    @Order(Order.DEFAULT + 2)
    @DisplayName("generated answers without ETag: the client reuses exactly what a real HTTP cache reuses")
    void agreesWithRealCacheOnFreshness() throws Exception {
      try (Versus versus = new Versus()) {
        versus.compare(Versus.seed(), 150, false, "TODO 4: the client reused an answer a real HTTP cache (RFC 9111) would not, "
            + "or asked where it would reuse: keep a 200 with max-age and without no-store (directive names in any "
            + "letter case, on every Cache-Control line); no-cache is kept but fresh for 0 s; an Age header says how "
            + "old the answer already is (see hint 4)");
      }
    }

    @Test
    @Order(8)
    @DisplayName("two answers for one URL at the same time: the newer one stays, an older one arriving last is passed on but not kept")
    void overlappingAnswersNewerStays() throws Exception {
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      origin.hold200 = release;
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      CachingClient.Reply late;
      try {
        var slow = reader.submit(() -> client.get("/products/1"));
        long until = System.nanoTime() + 10_000_000_000L;  // wait until version 1 is made and held, or the read ended
        while (!origin.held200.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held200.getCount()).as("the test's premise: the first read reached the server").isZero();
        origin.version = 2;  // the product changes while version 1 is on its way
        assertThat(client.get("/products/1").body()).as("TODO 4: the second reader gets version 2").contains("\"version\":2");
        release.countDown();
        late = slow.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        release.countDown();
        reader.shutdownNow();
      }
      assertThat(late.body()).as("TODO 4: the first reader gets the answer to its own request").contains("\"version\":1");
      later(30);
      CachingClient.Reply after = client.get("/products/1");
      assertThat(after.body())
          .as("TODO 4: version 1 was asked for first but arrived after version 2 was stored, and now the client serves"
              + " version 1 again for a minute: of two answers for one URL the newer one stays (RFC 9111, 4), so an"
              + " older answer that arrives last is passed on to its caller but never stored over the newer one. The"
              + " given handle() does that: call remember(...) from there, leave its guard in place")
          .contains("\"version\":2");
      assertThat(origin.ifNoneMatchSeen).as("TODO 4: version 2 is fresh for 60 s: no request 30 s later").hasSize(2);
    }

    @Test
    @DisplayName("the newer answer stays even when the older one is held between the check and the store: the given handle checks and stores in one step")
    void olderAnswerHeldBetweenCheckAndStore() throws Exception {
      // A clock that holds the older reader the first time it reads it: while its answer (version 1) is being stored.
      java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      AtomicReference<Thread> hold = new AtomicReference<>();
      java.time.InstantSource clock = () -> {
        Thread self = Thread.currentThread();
        if (hold.get() == self && hold.compareAndSet(self, null)) {
          holding.countDown();
          try {
            release.await(20, java.util.concurrent.TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            self.interrupt();
          }
        }
        return now.get();
      };
      CachingClient both = new CachingClient(origin.url(), clock);
      java.util.concurrent.FutureTask<CachingClient.Reply> older = new java.util.concurrent.FutureTask<>(() -> both.get("/products/1"));
      java.util.concurrent.FutureTask<CachingClient.Reply> newer = new java.util.concurrent.FutureTask<>(() -> both.get("/products/1"));
      Thread olderReader = new Thread(older, "older reader");
      Thread newerReader = new Thread(newer, "newer reader");
      hold.set(olderReader);
      try {
        olderReader.start();
        while (!holding.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !older.isDone()) { }
        origin.version = 2;  // the product changes while version 1 is being stored
        newerReader.start();
        // Until version 2 is stored, or its reader waits inside the client for the held one (the map's lock, or another).
        long until = System.nanoTime() + 10_000_000_000L;
        while (!newer.isDone() && !waitsInsideClient(newerReader) && System.nanoTime() < until) newerReader.join(20);
      } finally {
        release.countDown();
      }
      CachingClient.Reply first = older.get(20, java.util.concurrent.TimeUnit.SECONDS);
      CachingClient.Reply second = newer.get(20, java.util.concurrent.TimeUnit.SECONDS);
      if (!first.body().contains("\"version\":1") || !second.body().contains("\"version\":2")) return;  // not held as planned
      later(30);
      int before = origin.requests();
      CachingClient.Reply after = both.get("/products/1");
      assertThat(after.body() + (origin.requests() > before ? " (asked again)" : ""))
          .as("TODO 4: version 1 was asked for first, and its reader was held while storing it (after the check \"is this"
              + " the newest answer?\", before the store) while version 2 was asked for, answered and stored; 30 s later"
              + " the client served %s: of two answers for one URL the newer one stays (RFC 9111, 4), so the check and the"
              + " store are one step. The given handle() does both inside newest.compute(...): call remember(...) from"
              + " there, never after a separate check (a merge, a get)", after.body())
          .isEqualTo(second.body());
    }

    /** The thread waits inside the client, for a lock or the map's own (not for the server's answer, in send). */
    private static boolean waitsInsideClient(Thread thread) {
      Thread.State state = thread.getState();
      if (state != Thread.State.BLOCKED && state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING) return false;
      boolean inClient = false;
      for (StackTraceElement frame : thread.getStackTrace()) {
        if (!frame.getClassName().startsWith("CachingClient")) continue;
        if (frame.getMethodName().equals("send")) return false;
        inClient = true;
      }
      return inClient;
    }

    @Test
    @Order(4)
    @DisplayName("every URL has its own entry")
    void entryPerUrl() throws Exception {
      client.get("/products/1");
      CachingClient.Reply other = client.get("/products/2");
      assertThat(other.body()).as("TODO 4: key the cache by path").contains("/products/2");
      assertThat(client.get("/products/2")).as("TODO 4: /products/2 is now cached too").isEqualTo(other);
      assertThat(origin.requests()).as("TODO 4: two URLs, two requests").isEqualTo(2);
      // The query is part of the URL (RFC 9111, 2: the cache key is the whole target URI): another query, another entry.
      client.get("/products/1?lang=nl");
      assertThat(origin.requests())
          .as("TODO 4: /products/1 was cached, then /products/1?lang=nl was read: another URL (its query is part of it),"
              + " so it has an entry of its own and the server is asked; key the cache by the whole path, query included")
          .isEqualTo(3);
      client.get("/products/1?lang=nl");
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 4: /products/1 and /products/1?lang=nl were both read within their max-age: each from its own entry")
          .isEqualTo(3);
      // A URL's letters count as they are (RFC 3986, 6.2.2.1: only the scheme and host are case-insensitive).
      client.get("/products/1?lang=NL");
      assertThat(origin.requests())
          .as("TODO 4: /products/1?lang=nl was cached, then /products/1?lang=NL was read: another URL (a path and a query"
              + " are compared letter for letter, case included), so it has an entry of its own and the server is asked;"
              + " key the cache by the path exactly as it was read, never lower-cased")
          .isEqualTo(4);

    }
  }

  @Nested
  // The quick tests first, those that catch the most mistakes for their time before the others (@Order 1, 2, ...: from
  // verify's per-mistake seconds), the slow sweeps last: a mistake is named sooner, and verify pays less per mistake.
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  @Tag("step5")
  @DisplayName("Step 5: the client revalidates stale answers")
  class Step5 extends ClientSteps {
    @Test
    @Order(10)
    @DisplayName("after max-age it asks with If-None-Match, the ETag sent exactly as received")
    void revalidatesWithEtag() throws Exception {
      CachingClient.Reply first = client.get("/products/1");
      later(61);
      CachingClient.Reply second = client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the second request must carry If-None-Match: \"v1\", quotes included (see hint 5)")
          .containsExactly("(none)", "\"v1\"");
      assertThat(second)
          .as("TODO 5: on 304 the caller gets the cached 200 and its body, never an empty 304").isEqualTo(first);
    }

    @Test
    @Order(5)
    @DisplayName("a weak ETag W/\"...\" is kept and sent back exactly as received: If-None-Match compares weakly, so it validates too")
    void weakEtagRevalidates() throws Exception {
      origin.weakEtags = true;
      CachingClient.Reply first = client.get("/products/1");
      later(61);
      CachingClient.Reply second = client.get("/products/1");
      later(30);
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the answer came with ETag: W/\"v1\", a weak validator, and If-None-Match compares weakly "
              + "(RFC 9110, 13.1.2), so the stale entry is revalidated with it like any ETag: keep it as received "
              + "(W/ and quotes included) and send it back unchanged; then the 304 makes the entry fresh for 60 s more "
              + "(see hint 5)")
          .containsExactly("(none)", "W/\"v1\"");
      assertThat(second).as("TODO 5: on 304 the caller gets the cached 200 and its body").isEqualTo(first);
    }

    @Test
    @Order(4)
    @DisplayName("a 304 that names another ETag vouches for nothing the client holds: it asks for the whole answer, and a 304 with the weak form of its own ETag still counts")
    void notModifiedForAnotherEtag() throws Exception {
      client.get("/products/1");
      later(61);
      origin.etagOn304 = "\"v9\"";  // the server has version 9 now, and its 304 says so
      origin.versionAfter304 = 9;
      CachingClient.Reply second = client.get("/products/1");
      origin.etagOn304 = null;
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the client held ETag \"v1\" and the server answered its If-None-Match with a 304 whose ETag is"
              + " \"v9\": that 304 confirms another version, not the bytes the client holds, so it may not freshen the"
              + " entry, nor hand the caller the stored body (RFC 9111, 4.3.4). Drop the entry and fetch the whole answer"
              + " (no If-None-Match) in the same read. Compare the 304's ETag, W/ aside, with the stored one (see hint 5)")
          .containsExactly("(none)", "\"v1\"", "(none)");
      assertThat(second.body())
          .as("TODO 5: the 304 named version 9, and the caller got the stored version 1 that no answer confirmed: give the"
              + " caller the whole answer fetched after that 304")
          .contains("\"version\":9");
      later(30);
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the whole answer fetched after the 304 for another version is a new 200 like any other: kept, and"
              + " fresh for 60 s, so 30 s later no request is needed")
          .hasSize(3);
      origin.version = 1;
      origin.weakEtagOn304 = true;  // the same tag, weak: a proxy that compresses marks it W/
      client.get("/products/2");
      later(61);
      client.get("/products/2");
      later(30);
      client.get("/products/2");
      assertThat(origin.ifNoneMatchSeen.subList(3, origin.requests()))
          .as("TODO 5: the 304 repeated the stored ETag \"v1-2\" in its weak form W/\"v1-2\": the same version, compared"
              + " weakly as If-None-Match is, so it freshens the entry and 30 s later no request is needed")
          .containsExactly("(none)", "\"v1-2\"");
      // A 304 for another version, and the whole answer fetched after it may not be kept: nothing is left to revalidate.
      origin.weakEtagOn304 = false;
      client.get("/products/3");
      later(61);
      origin.etagOn304 = "\"v9-3\"";
      origin.versionAfter304 = 9;
      origin.cacheControl = "no-store";
      client.get("/products/3");
      origin.etagOn304 = null;
      int before = origin.requests();
      client.get("/products/3");
      assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
          .as("TODO 5: the client held \"v1-3\", a 304 named \"v9-3\", and the whole answer fetched after it said no-store:"
              + " the stale copy was confirmed by nobody and must be gone, so the next read asks without If-None-Match;"
              + " drop the stale entry (cache.remove(path, stale)) before you fetch (see hint 5)")
          .containsExactly("(none)");
    }

    @Test
    @Order(9)
    @DisplayName("a 304 confirms the stored answer only when it names no ETag or the stored one (W/ aside, on either side, letters exact), on every pairing")
    void notModifiedConfirmsOnlyItsOwnTag() throws Exception {
      List<String> wrong = new ArrayList<>();
      int id = 100;
      for (boolean storedWeak : new boolean[] {false, true}) {
        // Besides the stored tag, another, none and another case: the stored letters behind a prefix that is not the one
        // weak prefix W/ (w/, W/W/, W/ and a space): no entity-tag, or another one, so nothing the client holds.
        // A longer tag (the stored one with a proxy's -gzip) or a shorter one is another tag too.
        for (String named : List.of("same", "W/same", "none", "other", "W/other", "SAME", "W/SAME", "w/same", "W/W/same", "W/ same",
            "longer", "W/longer", "shorter")) {
          String path = "/products/" + ++id;
          String tag = "v1-" + id;  // the opaque tag the server gives version 1 of this product
          origin.weakEtags = storedWeak;
          origin.version = 1;
          client.get(path);
          later(61);
          boolean none = named.equals("none");
          String base = named.replaceFirst("^[wW/ ]*", "");
          String quoted = switch (base) {
            case "same" -> "\"" + tag + "\"";
            case "other" -> "\"v9-" + id + "\"";
            case "longer" -> "\"" + tag + "-gzip\"";
            case "shorter" -> "\"" + tag.substring(0, tag.length() - 1) + "\"";
            default -> "\"" + tag.toUpperCase(Locale.ROOT) + "\"";
          };
          String on304 = none ? "no ETag" : named.substring(0, named.length() - base.length()) + quoted;
          boolean confirms = none || on304.replaceFirst("^W/", "").equals("\"" + tag + "\"");
          origin.noEtagOn304 = none;
          origin.etagOn304 = none ? null : on304;
          origin.versionAfter304 = confirms ? 0 : 9;  // a 304 naming another tag: the server has another version
          int before = origin.requests();
          CachingClient.Reply reply = client.get(path);
          List<String> asked = List.copyOf(origin.ifNoneMatchSeen.subList(before, origin.requests()));
          origin.noEtagOn304 = false;
          origin.etagOn304 = null;
          origin.versionAfter304 = 0;
          later(30);
          int beforeThird = origin.requests();
          CachingClient.Reply third = client.get(path);
          int askedLater = origin.requests() - beforeThird;
          String stored = (storedWeak ? "W/" : "") + "\"" + tag + "\"";
          List<String> expected = confirms ? List.of(stored) : List.of(stored, "(none)");
          String version = "\"version\":" + (confirms ? 1 : 9);
          if (!asked.equals(expected) || !reply.body().contains(version) || askedLater != 0 || !third.body().contains(version)) {
            wrong.add("stored " + stored + ", the 304 names " + on304 + ": expected " + (confirms ? "the stored body, freshened"
                : "a whole new fetch (no If-None-Match) in the same read, its body given") + "; the read sent If-None-Match "
                + asked + " and gave " + reply.body() + ", and 30 s later it asked " + askedLater + " more time(s)");
          }
        }
      }
      origin.weakEtags = false;
      origin.version = 1;
      assertThat(wrong).as("TODO 5: a 304 confirms the stored answer only when it names no ETag, or the stored one compared"
          + " as entity-tags are: W/ aside on either side (W/ in capitals, once, right before the quote: w/\"v1\", W/W/\"v1\""
          + " and a tag that merely ends in the stored one are others), every letter exact and the tag whole (\"v1-gzip\", a"
          + " proxy's compressed representation, and \"v\" are others) (\"V1\" is not \"v1\"). Any other tag vouches for"
          + " bytes the client does not hold: drop the entry and fetch the whole answer in the same read (RFC 9110 8.8.3.2,"
          + " RFC 9111 4.3.4; see hint 5)").isEmpty();
    }

    @Test
    @Order(21)
    @DisplayName("a 304 makes the entry fresh again: the next read needs no request")
    void notModifiedRefreshes() throws Exception {
      client.get("/products/1");
      later(61);
      client.get("/products/1");
      later(30);
      CachingClient.Reply fromCache = client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: after the 304 the entry is fresh for another max-age; store it again with now as its time")
          .isEqualTo(2);
      assertThat(fromCache.body())
          .as("TODO 5: the refreshed entry keeps the body stored before (a 304 has none of its own)")
          .contains("\"version\":1");
    }

    @Test
    @Order(23)
    @DisplayName("a 304 that says no-cache, with or without max-age, is revalidated before the next reuse")
    void notModifiedNoCache() throws Exception {
      List<String> on304s = List.of("no-cache", "max-age=600, no-cache", "No-Cache");
      for (String on304 : on304s) {
        origin.cacheControlOn304 = on304;
        String path = "/products/" + (10 + on304s.indexOf(on304));
        client.get(path);
        later(61);
        client.get(path);
        int before = origin.requests();
        later(1);
        client.get(path);
        assertThat(origin.requests() - before)
            .as("TODO 5: the 304 said Cache-Control: %s: the entry may be kept but must be revalidated before every "
                + "reuse (RFC 9111, 5.2.2.4), whether or not the 304 also repeats a max-age", on304)
            .isEqualTo(1);
      }
    }

    @Test
    @Order(12)
    @DisplayName("a 304 that brings a new max-age is fresh for that long")
    void notModifiedUpdatesMaxAge() throws Exception {
      client.get("/products/1");
      later(61);
      origin.cacheControl = "public, max-age=600";
      client.get("/products/1");
      later(300);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: the 304 said max-age=600: a cache updates its entry with the 304's headers "
              + "(RFC 9111, 4.3.4), so 300 s later it is still fresh")
          .isEqualTo(2);
    }

    @Test
    @Order(16)
    @DisplayName("a 304's max-age that is no number of seconds is stale, one too large to count is 2^31 s: never an exception")
    void notModifiedInvalidOrHugeMaxAge() throws Exception {
      String[][] cases = {{"max-age=abc", "1"}, {"max-age=-5", "1"}, {"max-age=99999999999999999999", "0"}, {"Max-Age=2147483648", "0"},
          {"max-age=+7200", "1"}, {"max-age=000000001800", "1"}};  // delta-seconds is digits only (RFC 9111, 1.2.2): "+7200"
      // is no number of seconds; leading zeros count for nothing: 000000001800 is half an hour
      for (int i = 0; i < cases.length; i++) {
        origin.cacheControlOn304 = cases[i][0];
        String path = "/products/" + (60 + i);
        client.get(path);
        later(61);
        int before = origin.requests();
        try {
          assertThat(client.get(path).body()).as("TODO 5: the 304 gives the caller the stored 200").contains("\"version\":1");
          later(3600);
          client.get(path);
        } catch (RuntimeException e) {
          throw new AssertionError("TODO 5: a 304 with Cache-Control: " + cases[i][0] + " made the client throw " + e + "; "
              + "its max-age counts as on a 200: not a number of seconds means stale (RFC 9111, 4.2.1), too large to count "
              + "means 2^31 s (1.2.2); read it as a long through the given cacheControl, on the 304 as on the 200", e);
        }
        assertThat(origin.requests() - before - 1)
            .as("TODO 5: the 304 said Cache-Control: %s; an hour later the server should have been asked %s more time(s): "
                + "a max-age that is no number of seconds is stale, one too large to count is 2^31 s", cases[i][0], cases[i][1])
            .isEqualTo(Integer.parseInt(cases[i][1]));
      }
      // Too large to count is 2^31 s, all of it, on a 304 as on a 200.
      origin.cacheControlOn304 = "max-age=99999999999999999999";
      client.get("/products/69");
      later(61);
      client.get("/products/69");  // the 304
      int before = origin.requests();
      later(2_147_483_647);
      client.get("/products/69");
      assertThat(origin.requests() - before)
          .as("TODO 5: a 304 said Cache-Control: max-age=99999999999999999999, and 2^31 - 1 s later the client asked"
              + " again: a max-age too large to count is 2^31 s (RFC 9111, 1.2.2), all of it, on a 304 as on a 200; keep"
              + " the max-age the given cacheControl reads, with no cap of your own (a day, a year)")
          .isEqualTo(0);
    }

    @Test
    @Order(24)
    @DisplayName("a 304's Age comes off the time stored, not off its max-age: a later 304 without Cache-Control keeps that whole max-age")
    void notModifiedAgeKeepsWholeMaxAge() throws Exception {
      String path = "/products/70";
      client.get(path);
      later(61);
      origin.age = "20";  // the first 304 repeats max-age=60 and is 20 s old
      client.get(path);
      later(41);  // 61 s old: stale
      origin.age = null;
      origin.cacheControlOn304 = "";  // the second 304 repeats no Cache-Control: the stored max-age=60 stays
      client.get(path);
      later(50);
      client.get(path);
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the first 304 said max-age=60 and Age: 20, so the entry's max-age is 60 and it was 20 s old; the "
              + "second 304 repeats no Cache-Control, so it is fresh again for that max-age=60 and 50 s later needs no "
              + "request. Take a 304's Age off the time stored (now minus its Age), never off the max-age it brings "
              + "(RFC 9111, 4.2.3 and 4.3.4; see hint 5)")
          .containsExactly("(none)", "\"v1-70\"", "\"v1-70\"");
    }

    @Test
    @Order(22)
    @DisplayName("a changed answer replaces the entry, and its new ETag is used next time")
    void changedReplaces() throws Exception {
      client.get("/products/1");
      origin.version = 2;
      later(61);
      assertThat(client.get("/products/1").body())
          .as("TODO 5: the server sent a new 200; the caller must get the new body").contains("\"version\":2");
      later(61);
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the next revalidation must send the new ETag").endsWith("\"v2\"");
    }

    @Test
    @Order(Order.DEFAULT + 1)
    @DisplayName("any answer but a 304 to a revalidation (201 to 599) reaches the caller as it came, never the stale copy, and the stale copy is dropped")
    void revalidationAnswerPassedOn() throws Exception {
      for (int status = 201; status <= 599; status++) client.get("/products/" + status);
      later(61);
      List<String> covered = new ArrayList<>();
      List<String> kept = new ArrayList<>();
      for (int status = 201; status <= 599; status++) {
        if (status == 304) continue;
        origin.status = status;
        CachingClient.Reply reply = client.get("/products/" + status);
        if (reply.status() != status) covered.add(status + " became " + reply.status());
        origin.status = 200;  // the server is back: the next read of this path must not revalidate the copy it dropped
        client.get("/products/" + status);
        String asked = origin.ifNoneMatchSeen.get(origin.requests() - 1);
        if (!asked.equals("(none)")) kept.add(status + " (then asked If-None-Match: " + asked + ")");
      }
      assertThat(covered)
          .as("TODO 5: the server answered these revalidations with something other than 304, and the caller got "
              + "something else: a stale copy may be served only when the server allows it (RFC 9111, 4.2.4), so pass "
              + "the answer on with handle()")
          .isEmpty();
      assertThat(kept)
          .as("TODO 5: after these answers to a revalidation the client still held the stale copy and revalidated it at "
              + "the next read: an answer that is not a 304 vouches for nothing the client holds, whatever its status (a "
              + "4xx, a 5xx as much as a new 200), so drop the stale entry before you handle() the answer; only a new 200 "
              + "that may be kept takes its place (see hint 5)")
          .isEmpty();
    }

    @Test
    @Order(17)
    @DisplayName("a 304 without Cache-Control refreshes the entry for the max-age it had")
    void notModifiedWithoutCacheControlRefreshes() throws Exception {
      origin.cacheControlOn304 = "";
      client.get("/products/1");
      later(61);
      client.get("/products/1");
      later(59);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: the 304 repeated no Cache-Control: the stored answer keeps its own (max-age=60) and is fresh "
              + "again from now (RFC 9111, 4.3.4), so 59 s later it needs no request (use stale.maxAge())")
          .isEqualTo(2);
    }

    @Test
    @Order(1)
    @DisplayName("a 304 without Cache-Control keeps the whole max-age it had, counted from now minus the 304's Age")
    void notModifiedWithoutCacheControlCountsAges() throws Exception {
      origin.cacheControlOn304 = "";
      origin.age = "20";  // on the 200 and on the 304 alike
      String path = "/products/50";
      client.get(path);
      later(41);  // 20 + 41 = 61 s old: stale
      client.get(path);
      later(39);  // the 304 was 20 s old: 59 s now, fresh for the whole max-age=60
      client.get(path);
      assertThat(origin.requests())
          .as("TODO 5: the stored answer said max-age=60 and Age: 20, and the 304 (no Cache-Control, Age: 20) makes it "
              + "fresh again for that same max-age=60, counted from now minus the 304's Age: 39 s later it is 59 s old "
              + "and needs no request. The stored max-age is the answer's own, not what its Age left of it: keep the Age "
              + "in the time stored (TODO 4), never take it off max-age (RFC 9111, 4.2.3 and 4.3.4)")
          .isEqualTo(2);
      later(1);  // 60 s old
      client.get(path);
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the 304 said Age: 20, so it was 20 s old when it arrived, with or without Cache-Control: 40 s "
              + "after it the entry is 60 s old and stale, and the read must ask again (store it as received now minus "
              + "the 304's Age, see hint 5)")
          .containsExactly("(none)", "\"v1-50\"", "\"v1-50\"");
    }

    @Test
    @Order(3)
    @DisplayName("a 304 whose Cache-Control has no max-age replaces the stored one: the entry is stale, revalidated at the next read")
    void notModifiedCacheControlWithoutMaxAge() throws Exception {
      List<String> on304s = List.of("public", "private", "must-revalidate", "public\nNo-Transform");
      for (String on304 : on304s) {
        origin.cacheControlOn304 = on304;
        String path = "/products/" + (40 + on304s.indexOf(on304));
        int before = origin.requests();
        client.get(path);
        later(61);
        client.get(path);
        later(1);
        CachingClient.Reply third = client.get(path);
        String tag = "\"v1-" + (40 + on304s.indexOf(on304)) + "\"";
        assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
            .as("TODO 5: the 304 said Cache-Control: %s, with no max-age. A 304's Cache-Control replaces the stored one "
                + "(RFC 9111, 4.3.4), so the entry no longer has a max-age: 0 s, revalidated at the next read. Keep the "
                + "stored max-age only when the 304 repeats no Cache-Control at all (see hint 5)", on304.replace("\n", " + "))
            .containsExactly("(none)", tag, tag);
        assertThat(third.body()).as("TODO 5: the 304 gives the caller the stored 200").contains("\"version\":1");
      }
    }

    @Test
    @Order(19)
    @DisplayName("revalidations of two entries overlap: one slow server answer does not hold up the other")
    void revalidationsOverlap() throws Exception {
      client.get("/products/1");
      client.get("/products/2");
      later(61);
      origin.gate = new java.util.concurrent.CountDownLatch(2);
      java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        var first = readers.submit(() -> client.get("/products/1"));
        var second = readers.submit(() -> client.get("/products/2"));
        first.get(20, java.util.concurrent.TimeUnit.SECONDS);
        second.get(20, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        readers.shutdownNow();
      }
      assertThat(origin.metAtGate)
          .as("TODO 5: two readers revalidated two different entries, and the server held each request until the "
              + "other arrived (5 s at most): they never were in flight together. Do not serialise revalidation "
              + "(synchronized, a shared lock): the map is concurrent already, and one slow answer would stall every reader")
          .containsExactly(true, true);
    }

    @Test
    @Order(11)
    @DisplayName("a 304 that arrives late freshens only the entry it validated: a newer answer stored meanwhile stays")
    void late304KeepsNewerAnswer() throws Exception {
      client.get("/products/1");
      later(61);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      origin.hold304 = release;
      origin.cacheControlOn304 = "max-age=600";  // the late 304 would make an entry fresh for ten minutes
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        var slow = reader.submit(() -> client.get("/products/1"));
        long until = System.nanoTime() + 10_000_000_000L;  // wait for the 304 to be decided, or the read to end without one
        while (!origin.held304.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held304.getCount())
            .as("TODO 5: a stale entry with an ETag must be revalidated with If-None-Match: \"v1\"; the server saw %s",
                origin.ifNoneMatchSeen)
            .isZero();
        origin.version = 2;  // the price changes while that 304 is on its way
        assertThat(client.get("/products/1").body())
            .as("TODO 5: a second reader revalidated while the first one's 304 was still on its way, after the product "
                + "changed; it must get the new 200 (revalidations must not wait for each other)")
            .contains("\"version\":2");
        release.countDown();
        slow.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        release.countDown();
        reader.shutdownNow();
      }
      assertThat(client.get("/products/1").body())
          .as("TODO 5: the entry held version 2 when the late 304 for \"v1\" arrived, and now holds version 1 again: a "
              + "304 freshens only the stored answer whose ETag it confirms (RFC 9111, 4.3.4), so refresh the entry only "
              + "if it is still the stale one you revalidated: cache.replace(path, stale, ...), not cache.put (see hint 5)")
          .contains("\"version\":2");
      later(61);
      int before = origin.requests();
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
          .as("TODO 5: version 2 came with max-age=60, and 61 s later the client served it without asking: the late 304 for"
              + " \"v1\" (max-age=600) freshened version 2, which it never validated. Refresh only the stale entry you"
              + " revalidated, if the map still holds it: cache.replace(path, stale, ...), not whatever the path holds"
              + " now (see hint 5)")
          .containsExactly("\"v2\"");
    }

    @Test
    @Order(14)
    @DisplayName("a 304 that arrives late brings back no entry: an answer that may not be kept, received meanwhile, dropped it for good")
    void late304RecreatesNothing() throws Exception {
      client.get("/products/1");
      later(61);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      origin.hold304 = release;
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        var slow = reader.submit(() -> client.get("/products/1"));
        long until = System.nanoTime() + 10_000_000_000L;
        while (!origin.held304.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held304.getCount())
            .as("TODO 5: a stale entry with an ETag must be revalidated with If-None-Match: \"v1\"; the server saw %s",
                origin.ifNoneMatchSeen)
            .isZero();
        origin.version = 2;  // the product changes, and its new answer may not be kept
        origin.cacheControl = "no-store";
        assertThat(client.get("/products/1").body()).as("TODO 5: the second reader gets the new 200").contains("\"version\":2");
        release.countDown();
        slow.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        release.countDown();
        reader.shutdownNow();
      }
      int before = origin.requests();
      CachingClient.Reply after = client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
          .as("TODO 5: version 2 came with no-store, so the client held no entry when the late 304 for \"v1\" arrived; "
              + "that 304 vouches for no stored answer (RFC 9111, 4.3.4) and must not bring version 1 back: the next read "
              + "asks without If-None-Match, and got %s. Refresh only the entry you revalidated, if the map still holds it: "
              + "cache.replace(path, stale, ...) (see hint 5)", after.body())
          .containsExactly("(none)");
    }

    @Test
    @Order(15)
    @DisplayName("two answers to revalidations of one URL at the same time: an older one arriving last is passed on, never stored over the newer")
    void overlappingRevalidationsNewerWins() throws Exception {
      client.get("/products/1");
      later(61);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      origin.version = 2;  // the first revalidation gets version 2, held on its way
      origin.hold200 = release;
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      CachingClient.Reply late;
      try {
        var slow = reader.submit(() -> client.get("/products/1"));
        long until = System.nanoTime() + 10_000_000_000L;  // wait until version 2 is made and held, or the read ended
        while (!origin.held200.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held200.getCount())
            .as("TODO 5: a stale entry with an ETag must be revalidated; the server saw %s", origin.ifNoneMatchSeen).isZero();
        origin.version = 3;  // the product changes again while version 2 is on its way
        assertThat(client.get("/products/1").body()).as("TODO 5: the second reader gets version 3").contains("\"version\":3");
        release.countDown();
        late = slow.get(10, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        release.countDown();
        reader.shutdownNow();
      }
      assertThat(late.body()).as("TODO 5: the first reader gets the answer to its own request").contains("\"version\":2");
      later(30);
      int before = origin.requests();
      CachingClient.Reply after = client.get("/products/1");
      assertThat(origin.requests() - before)
          .as("TODO 5: version 3 was stored with max-age=60, then the older answer to the other revalidation (version 2)"
              + " arrived and 30 s later the client had to ask again (it got %s): handling that older answer dropped the"
              + " newer entry. Drop only the stale entry you revalidated, if the map still holds it:"
              + " cache.remove(path, stale), not cache.remove(path)", after.body())
          .isZero();
      assertThat(after.body())
          .as("TODO 5: two readers revalidated at once; version 2 was asked for first but arrived after version 3, and now"
              + " the client serves version 2: of two answers for one URL the newer one stays (RFC 9111, 4), on a"
              + " revalidation as on a first fetch. Send the revalidation with the given send(...) and hand its answer to"
              + " handle(...), whose guard passes an older answer on without storing it (see hint 5)")
          .contains("\"version\":3");
    }

    @Test
    @Order(20)
    @DisplayName("a 304 for another version that arrives late drops only the stale entry: a newer answer stored meanwhile serves readers while the whole answer is fetched")
    void lateForeign304KeepsNewerAnswer() throws Exception {
      client.get("/products/1");
      later(61);
      java.util.concurrent.CountDownLatch release304 = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release200 = new java.util.concurrent.CountDownLatch(1);
      origin.etagOn304 = "\"v9\"";  // the first reader's 304 names another version, and is held on its way
      origin.hold304 = release304;
      java.util.concurrent.ExecutorService reader = java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        var slow = reader.submit(() -> client.get("/products/1"));
        long until = System.nanoTime() + 10_000_000_000L;  // wait for the 304 to be decided, or the read to end without one
        while (!origin.held304.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held304.getCount())
            .as("TODO 5: a stale entry with an ETag must be revalidated with If-None-Match: \"v1\"; the server saw %s",
                origin.ifNoneMatchSeen)
            .isZero();
        origin.version = 2;  // a second reader revalidates meanwhile and stores version 2
        assertThat(client.get("/products/1").body()).as("TODO 5: the second reader gets the new 200").contains("\"version\":2");
        origin.hold200 = release200;  // the whole answer the first reader fetches after its 304 is held on its way too
        release304.countDown();
        until = System.nanoTime() + 10_000_000_000L;
        while (!origin.held200.await(20, java.util.concurrent.TimeUnit.MILLISECONDS) && !slow.isDone() && System.nanoTime() < until) { }
        assertThat(origin.held200.getCount())
            .as("TODO 5: the 304 named \"v9\", not the \"v1\" the first reader held: it must fetch the whole answer; the"
                + " server saw %s", origin.ifNoneMatchSeen)
            .isZero();
        int before = origin.requests();
        CachingClient.Reply third = client.get("/products/1");
        assertThat(origin.requests() - before)
            .as("TODO 5: version 2 was stored fresh for 60 s, then the first reader's late 304 for another version arrived,"
                + " and a third reader found nothing stored (it asked the server and got %s): that 304 vouches against the"
                + " stale \"v1\" only; drop that entry, if the map still holds it: cache.remove(path, stale), not"
                + " cache.remove(path)", third.body())
            .isZero();
        release200.countDown();
        assertThat(slow.get(10, java.util.concurrent.TimeUnit.SECONDS).body())
            .as("TODO 5: the first reader gets the whole answer fetched after its 304").contains("\"version\":2");
      } finally {
        release304.countDown();
        release200.countDown();
        reader.shutdownNow();
      }
    }

    @Test
    @Order(2)
    @DisplayName("a revalidation touches only the stale entry, even when another reader stores a newer answer in the very instant between a check and a change: check and change in one step")
    void newerAnswerStoredInTheSameInstantStays() throws Exception {
      String[] cases = {"a 304 for the stored version", "a 304 naming another version", "a 200 that may not be kept"};
      for (String answer : cases) {
        CachingClient fresh = new CachingClient(origin.url(), now::get);
        origin.version = 1;
        origin.cacheControl = "public, max-age=60";
        origin.etagOn304 = null;
        fresh.get("/products/1");
        later(61);
        // The client's map, swapped for one where another reader stores version 7 right before the first use of the map
        // after the revalidation went out: after a read (which then returns what it read) or before a change.
        CachingClient.Entry newer = new CachingClient.Entry("{\"path\":\"/products/1\",\"version\":7}", "\"v7\"", now.get(),
            Duration.ofSeconds(60));
        Interleaving map = Interleaving.into(fresh, "/products/1", newer, origin::requests);
        if (map == null) return;  // a client without the given map of entries: the late-answer tests above hold it to the rule
        if (answer.equals(cases[1])) {
          origin.etagOn304 = "\"v9\"";
          origin.cacheControl = "no-store";  // the whole answer fetched after it may not be kept: version 7 stays
          origin.cacheControlOn304 = "public, max-age=60";
        } else if (answer.equals(cases[2])) {
          origin.version = 2;
          origin.cacheControl = "no-store";
        }
        try {
          fresh.get("/products/1");
        } finally {
          origin.cacheControlOn304 = null;
          origin.etagOn304 = null;
        }
        // A revalidation that never uses the map after its answer (it keeps or drops nothing) is held by the tests above.
        if (!map.stored()) continue;
        CachingClient.Entry held = map.get("/products/1");
        assertThat(held)
            .as("TODO 5: the server answered the revalidation of \"v1\" with %s, and another reader stored version 7"
                + " (\"v7\") in the very instant the client looked at its map; version 7 must stay as that reader stored it, but the map holds %s:"
                + " a check (cache.get(path) == stale) and then a change (put, remove(path)) leave a moment between them"
                + " in which a newer answer is lost; do both in one step: cache.replace(path, stale, ...) and"
                + " cache.remove(path, stale) (see hint 5)", answer, held == null ? "nothing" : held)
            .isSameAs(newer);
      }
    }

    /**
     * The client's map of entries, where another reader stores {@code newer} under {@code path} at the first use of the
     * map once the server has had one more request: right after a read (which returns what it read before) or right
     * before a change.
     */
    static final class Interleaving extends java.util.concurrent.ConcurrentHashMap<String, CachingClient.Entry> {
      private final String path;
      private final CachingClient.Entry newer;
      private final java.util.function.IntSupplier requests;
      private final int before;
      private volatile boolean stored;

      private Interleaving(Map<String, CachingClient.Entry> entries, String path, CachingClient.Entry newer,
                           java.util.function.IntSupplier requests) {
        super(entries);
        this.path = path;
        this.newer = newer;
        this.requests = requests;
        this.before = requests.getAsInt();
      }

      /** Puts an Interleaving in place of the client's map of entries; null when the client has none. */
      @SuppressWarnings("unchecked")
      static Interleaving into(CachingClient client, String path, CachingClient.Entry newer, java.util.function.IntSupplier requests)
          throws Exception {
        for (java.lang.reflect.Field field : CachingClient.class.getDeclaredFields()) {
          if (!Map.class.isAssignableFrom(field.getType()) || !field.getGenericType().getTypeName().contains("Entry")) continue;
          field.setAccessible(true);
          Interleaving map = new Interleaving((Map<String, CachingClient.Entry>) field.get(client), path, newer, requests);
          field.set(client, map);
          return map;
        }
        return null;
      }

      /** Whether version 7 was stored (the revalidation used the map after its answer). */
      boolean stored() { return stored; }

      private void otherReader() {
        if (stored || requests.getAsInt() <= before) return;
        stored = true;
        super.put(path, newer);
      }

      @Override public CachingClient.Entry get(Object key) {
        CachingClient.Entry read = super.get(key);
        otherReader();
        return read;
      }
      @Override public boolean containsKey(Object key) { boolean had = super.containsKey(key); otherReader(); return had; }
      @Override public CachingClient.Entry getOrDefault(Object key, CachingClient.Entry fallback) {
        CachingClient.Entry read = super.getOrDefault(key, fallback);
        otherReader();
        return read;
      }
      @Override public CachingClient.Entry put(String key, CachingClient.Entry value) { otherReader(); return super.put(key, value); }
      @Override public CachingClient.Entry putIfAbsent(String key, CachingClient.Entry value) { otherReader(); return super.putIfAbsent(key, value); }
      @Override public CachingClient.Entry remove(Object key) { otherReader(); return super.remove(key); }
      @Override public boolean remove(Object key, Object value) { otherReader(); return super.remove(key, value); }
      @Override public boolean replace(String key, CachingClient.Entry old, CachingClient.Entry value) {
        otherReader();
        return super.replace(key, old, value);
      }
      @Override public CachingClient.Entry replace(String key, CachingClient.Entry value) { otherReader(); return super.replace(key, value); }
      @Override public CachingClient.Entry computeIfPresent(String key,
          java.util.function.BiFunction<? super String, ? super CachingClient.Entry, ? extends CachingClient.Entry> f) {
        otherReader();
        return super.computeIfPresent(key, f);
      }
      @Override public CachingClient.Entry compute(String key,
          java.util.function.BiFunction<? super String, ? super CachingClient.Entry, ? extends CachingClient.Entry> f) {
        otherReader();
        return super.compute(key, f);
      }
      @Override public CachingClient.Entry merge(String key, CachingClient.Entry value,
          java.util.function.BiFunction<? super CachingClient.Entry, ? super CachingClient.Entry, ? extends CachingClient.Entry> f) {
        otherReader();
        return super.merge(key, value, f);
      }
    }

    @Test
    @Order(8)
    @DisplayName("each entry is revalidated with its own ETag, whatever was read in between")
    void eachEntryItsOwnEtag() throws Exception {
      client.get("/products/1");
      client.get("/products/2");
      later(61);
      client.get("/products/1");
      client.get("/products/2");
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: /products/1 holds ETag \"v1\" and /products/2 holds \"v1-2\": each revalidation sends the ETag "
              + "stored in that path's entry, never the last one the client happened to see")
          .containsExactly("(none)", "(none)", "\"v1\"", "\"v1-2\"");
    }

    @Test
    @Order(7)
    @DisplayName("no-cache is kept but revalidated before every reuse")
    void noCacheRevalidatesEveryTime() throws Exception {
      List<String> cases = List.of("max-age=60, no-cache", "no-cache", "public, No-Cache", "private\nno-cache");
      for (String cacheControl : cases) {
        origin.cacheControl = cacheControl;
        String path = "/products/" + (80 + cases.indexOf(cacheControl));
        int before = origin.requests();
        CachingClient.Reply first = client.get(path);
        CachingClient.Reply second = client.get(path);
        later(1);
        client.get(path);
        String tag = "\"v1-" + (80 + cases.indexOf(cacheControl)) + "\"";
        assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
            .as("TODO 5: Cache-Control: %s (a \\n starts a second line): no-cache means \"ask before you reuse it\""
                + " (RFC 9111, 5.2.2.4), not \"do not keep it\": keep the answer, with or without max-age, fresh for 0 s"
                + " (TODO 4), so every read revalidates it with its ETag and a 304 costs no body; only no-store keeps it"
                + " out, and a client that fetches it whole every time treats no-cache as no-store", cacheControl.replace("\n", "\\n"))
            .containsExactly("(none)", tag, tag);
        assertThat(second).as("TODO 5: the 304 gives the caller the stored 200").isEqualTo(first);
      }
    }

    @Test
    @Order(6)
    @DisplayName("an answer stale on arrival (max-age=0, or an Age at max-age) is kept too, and revalidated at every read")
    void staleOnArrivalRevalidates() throws Exception {
      String[][] cases = {{"max-age=0", null}, {"public, max-age=0", "0"}, {"max-age=60", "60"}, {"max-age=5", "90"}};
      for (int i = 0; i < cases.length; i++) {
        origin.cacheControl = cases[i][0];
        origin.age = cases[i][1];
        String path = "/products/" + (30 + i);
        int before = origin.requests();
        CachingClient.Reply first = client.get(path);
        CachingClient.Reply second = client.get(path);
        later(1);
        client.get(path);
        String tag = "\"v1-" + (30 + i) + "\"";
        assertThat(origin.ifNoneMatchSeen.subList(before, origin.requests()))
            .as("TODO 5: Cache-Control: %s%s: the answer is stale on arrival, yet it has an ETag: like no-cache, it is "
                + "kept (fresh for 0 s, hint 4) and every later read revalidates it with If-None-Match; only no-store "
                + "or a missing max-age keeps an answer out of the cache", cases[i][0], cases[i][1] == null ? "" : ", Age: " + cases[i][1])
            .containsExactly("(none)", tag, tag);
        assertThat(second).as("TODO 5: the 304 gives the caller the stored 200").isEqualTo(first);
      }
    }

    @Test
    @Order(13)
    @DisplayName("a new 200 that may not be kept replaces the old copy: the next read does not revalidate an outdated ETag")
    void unkeepableAnswerDropsOldCopy() throws Exception {
      client.get("/products/1");
      later(61);
      origin.version = 2;
      origin.cacheControl = "no-store";
      assertThat(client.get("/products/1").body()).as("the new version").contains("\"version\":2");
      origin.cacheControl = "public, max-age=60";
      client.get("/products/1");
      assertThat(origin.ifNoneMatchSeen)
          .as("TODO 5: the server answered the revalidation with version 2 and no-store; the stored version 1 is now "
              + "known to be outdated, so drop it: asking If-None-Match: \"v1\" names a version the server replaced")
          .containsExactly("(none)", "\"v1\"", "(none)");
    }

    @Test
    @Order(18)
    @DisplayName("a 304 that brings an Age counts it: max-age=60 with Age: 30 is fresh for 30 s more")
    void notModifiedAgeCounts() throws Exception {
      client.get("/products/1");
      later(61);
      origin.age = "30";
      client.get("/products/1");
      later(29);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: the 304 said Age: 30 and max-age=60: the refreshed entry is 59 s old now, still fresh (take the "
              + "Age off once: from the time stored, not from max-age as well)")
          .isEqualTo(2);
      later(1);
      client.get("/products/1");
      assertThat(origin.requests())
          .as("TODO 5: the 304 said Age: 30: the entry it refreshes is already 30 s old, so 30 s later it is stale "
              + "(store it as received now minus the 304's Age)")
          .isEqualTo(3);
    }

    @Test
    @Order(Order.DEFAULT + 2)
    @DisplayName("generated answers with ETags and 304s: the client asks, revalidates and refreshes exactly as a real HTTP cache does")
    void agreesWithRealCacheOnRevalidation() throws Exception {
      try (Versus versus = new Versus()) {
        versus.compare(Versus.seed(), 150, true, "TODO 5: the client disagreed with a real HTTP cache (RFC 9111) on a stale "
            + "answer: revalidate with If-None-Match carrying the stored entry's own ETag; a 304 makes the entry fresh "
            + "again for the max-age it repeats (0 s when it says no-cache), counted from now minus its Age; any other "
            + "answer is handled like a fresh fetch (see hint 5)");
      }
    }
  }

  /** The client's steps run against a scripted origin server and a clock the test moves. */
  abstract static class ClientSteps {
    private static final Instant START = Instant.parse("2030-01-01T12:00:00Z");
    final Origin origin = new Origin();
    final AtomicReference<Instant> now = new AtomicReference<>(START);
    final CachingClient client = new CachingClient(origin.url(), now::get);

    void later(int seconds) {
      now.set(now.get().plusSeconds(seconds));
      Story.add("client: clock moves on " + seconds + " s");
    }

    @AfterEach
    void stopOrigin() { origin.close(); }
  }

  /** A product server whose answers the test scripts: status, Cache-Control, version of the body. */
  static final class Origin implements AutoCloseable {
    volatile int status = 200;
    volatile String location = null;  // when set, every 3xx says Location: this path, which answers 200
    volatile String cacheControl = "public, max-age=60";
    volatile int version = 1;
    volatile String age = null;
    volatile boolean etags = true;
    volatile boolean weakEtags = false;  // W/"v1": a weak validator, good for If-None-Match all the same
    volatile String cacheControlOn304 = null;  // null: the same as on a 200; "": none at all
    volatile String etagOn304 = null;  // null: the ETag the 304 confirms; else the one it names instead
    volatile boolean weakEtagOn304 = false;  // the 304 names the ETag it confirms in its weak form W/"..."
    volatile boolean noEtagOn304 = false;  // the 304 names no ETag at all
    volatile int versionAfter304 = 0;  // when set, the product becomes this version right after the next 304 leaves
    volatile java.util.concurrent.CountDownLatch gate = null;  // when set, every request waits (5 s at most) for the others
    volatile java.util.concurrent.CountDownLatch hold304 = null;  // when set, the next 304 waits for it (5 s at most) before it leaves
    volatile java.util.concurrent.CountDownLatch hold200 = null;  // when set, the next 200 waits for it (5 s at most) before it leaves
    final java.util.concurrent.CountDownLatch held200 = new java.util.concurrent.CountDownLatch(1);  // that 200 is made
    final java.util.concurrent.CountDownLatch held304 = new java.util.concurrent.CountDownLatch(1);  // that 304 is decided
    final List<Boolean> metAtGate = new CopyOnWriteArrayList<>();
    final List<String> ifNoneMatchSeen = new CopyOnWriteArrayList<>();
    private final Javalin app = Rest.start(cfg -> cfg.routes.get("/products/{id}", this::answer));

    private void answer(Context ctx) throws InterruptedException {
      String asked = ctx.header("If-None-Match");
      ifNoneMatchSeen.add(asked == null ? "(none)" : asked);
      int status = ctx.path().equals(location) ? 200 : this.status;  // where a 3xx points, a 200 is found
      java.util.concurrent.CountDownLatch latch = gate;
      if (latch != null) {
        latch.countDown();
        metAtGate.add(latch.await(5, java.util.concurrent.TimeUnit.SECONDS));
      }
      String id = ctx.pathParam("id");
      String etag = (weakEtags ? "W/" : "") + "\"v" + version + (id.equals("1") ? "" : "-" + id) + "\"";  // each product its own tags
      boolean same = status == 200 && etag.equals(asked);  // strict: the client must echo the ETag as is
      String lines = same && cacheControlOn304 != null ? cacheControlOn304 : cacheControl;
      for (String line : lines.split("\n")) if (!line.isEmpty()) ctx.res().addHeader("Cache-Control", line);  // \n: one more line
      // Only a 200 has an ETag: Javalin itself would turn any answer whose ETag the request names into a 304.
      if (status == 200 && etags && !(same && noEtagOn304)) ctx.header("ETag", !same ? etag : etagOn304 != null ? etagOn304 : weakEtagOn304 && !etag.startsWith("W/") ? "W/" + etag : etag);
      if (age != null) ctx.header("Age", age);
      if (location != null && status / 100 == 3) ctx.header("Location", location);
      if (same) ctx.status(304);
      else ctx.status(status).result("{\"path\":\"" + ctx.path() + "\",\"version\":" + version + "}");
      if (same && versionAfter304 != 0) {
        version = versionAfter304;
        versionAfter304 = 0;
      }
      Story.add("origin: GET " + ctx.path() + (asked == null ? "" : " If-None-Match: " + asked)
          + " -> " + ctx.statusCode() + ", Cache-Control: " + cacheControl + ", ETag: " + etag);
      java.util.concurrent.CountDownLatch hold = hold304;
      if (same && hold != null) {
        hold304 = null;
        held304.countDown();
        hold.await(5, java.util.concurrent.TimeUnit.SECONDS);
      }
      java.util.concurrent.CountDownLatch hold2 = hold200;
      if (!same && status == 200 && hold2 != null) {
        hold200 = null;
        held200.countDown();
        hold2.await(5, java.util.concurrent.TimeUnit.SECONDS);
      }
    }

    int requests() { return ifNoneMatchSeen.size(); }

    String url() { return Rest.url(app); }

    @Override
    public void close() { app.stop(); }
  }

  /**
   * Generated scenarios, each read by the lab's client and by a real HTTP cache (Apache HttpClient
   * 5's, RFC 9111, configured as a private cache like a browser's) on the same clock against the
   * same scripted answers: both must ask the server at the same reads, with the same If-None-Match,
   * and give the caller the same status and body. A failure prints the seed and the smallest case.
   */
  static final class Versus implements AutoCloseable {
    /** One scripted answer; cacheControl304 and age304 are what a 304 for it carries. */
    record Answer(int status, int version, boolean etag, List<String> cacheControl, Integer age,
                  List<String> cacheControl304, Integer age304) {
      @Override public String toString() {
        return status + (etag && status == 200 ? " ETag " + (version % 2 == 0 ? "W/" : "") + "\"<key>-v" + version + "\"" : " (no ETag, version " + version + ")")
            + (cacheControl.isEmpty() ? "" : " " + cacheControl.stream().map(l -> "Cache-Control: " + l).collect(Collectors.joining(" + ")))
            + (age == null ? "" : " Age: " + age)
            + (etag && status == 200 ? "; its 304 carries " + (cacheControl304.isEmpty() ? "no Cache-Control"
                : cacheControl304.stream().map(l -> "Cache-Control: " + l).collect(Collectors.joining(" + ")))
                + (age304 == null ? "" : " Age: " + age304) : "");
      }
    }
    /** The clock moves on `advance` seconds, then both caches read once while the server answers `answer`. */
    record Step(long advance, Answer answer) {
      @Override public String toString() { return "+" + advance + " s, server would answer " + answer; }
    }
    /** What one cache did at one read: the request it sent ("no request", or its If-None-Match) and what the caller got. */
    record Seen(String request, int status, String body) {
      @Override public String toString() { return request + " -> caller got " + status + " " + body; }
    }

    private static final int[] OTHER_STATUSES = {201, 203, 204, 300, 301, 302, 307, 308, 400, 403, 404, 405, 410, 414, 500, 501, 502, 503};
    private static final Instant START = Instant.parse("2030-01-01T12:00:00Z");
    final AtomicReference<Instant> now = new AtomicReference<>(START);
    private final Map<String, Answer> script = new ConcurrentHashMap<>();
    private final Map<String, List<String>> asked = new ConcurrentHashMap<>();
    private final Javalin origin = Rest.start(cfg -> cfg.routes.get("/g/{who}/{key}", this::answer));
    private final CachingClient lab = new CachingClient(Rest.url(origin), now::get);
    private final workbook.httpcache.RealCache real = new workbook.httpcache.RealCache(now::get);
    private int keys;

    private void answer(Context ctx) {
      Answer a = script.get(ctx.pathParam("key"));
      String inm = ctx.header("If-None-Match");
      asked.computeIfAbsent(ctx.path(), k -> new CopyOnWriteArrayList<>()).add(inm == null ? "GET without If-None-Match" : "If-None-Match: " + inm);
      // Every key its own tags; every even version's is weak: If-None-Match compares weakly, so a weak tag validates too.
      String etag = (a.version() % 2 == 0 ? "W/" : "") + "\"" + ctx.pathParam("key") + "-v" + a.version() + "\"";
      boolean notModified = a.status() == 200 && a.etag() && etag.equals(inm);
      // Real time, as servers send it: the real cache ages its entries by the test's clock (see RealCache). Five seconds
      // ahead (a server clock a little fast): the real cache keeps the entry it holds when a new answer's Date is older
      // than the entry's, and RealCache moves an entry's Date with real time, so on a slow machine a second could tick
      // between this answer and that comparison and the real cache would keep the old answer; a Date ahead of the
      // arrival counts as no age (RFC 9111, 4.2.3: apparent_age is at least 0), so nothing else changes.
      ctx.header("Date", DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plusSeconds(5).atZone(ZoneOffset.UTC)));
      // Only a 200 has an ETag: Javalin itself would turn any answer whose ETag the request names into a 304.
      if (a.etag() && a.status() == 200) ctx.header("ETag", etag);
      (notModified ? a.cacheControl304() : a.cacheControl()).forEach(line -> ctx.res().addHeader("Cache-Control", line));
      Integer age = notModified ? a.age304() : a.age();
      if (age != null) ctx.header("Age", String.valueOf(age));
      if (notModified) ctx.status(304);
      else ctx.status(a.status()).result("{\"key\":\"" + ctx.pathParam("key") + "\",\"version\":" + a.version() + "}");
    }

    /** Plays a scenario on fresh keys; returns the first disagreement, or null when both caches agreed at every read. */
    String play(List<Step> steps) throws Exception {
      String key = "k" + (++keys);
      List<String> story = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        Step step = steps.get(i);
        now.set(now.get().plusSeconds(step.advance()));
        script.put(key, step.answer());
        Seen mine = read("/g/lab/" + key, true);
        Seen theirs = read("/g/real/" + key, false);
        story.add("  read " + (i + 1) + ": " + step);
        if (!agree(mine, theirs, step.answer().status())) {
          story.add("    lab's client: " + mine);
          story.add("    real cache:   " + theirs);
          return String.join("\n", story);
        }
        story.add("    both: " + mine);
        if (step.answer().status() != 200 && !mine.request().equals("no request")) {
          // The real cache may keep some non-200 answers (a 404 with max-age); the lab keeps 200s only.
          script.put(key, new Answer(200, step.answer().version(), false, List.of("max-age=60"), null, List.of(), null));
          Seen next = read("/g/lab/" + key, true);
          if (next.request().equals("no request")) {
            story.add("  read " + (i + 2) + ": +0 s: the lab's client answered from its cache, with " + next.status()
                + "; it keeps only 200 answers, so it must ask again");
            return String.join("\n", story);
          }
          return null;
        }
      }
      return null;
    }

    /**
     * Both ask the server at the same reads; when both revalidate, with the same If-None-Match; the
     * caller gets the same answer. Storing is never required (RFC 9111, 3), so a real cache that
     * fetches in full where the lab's revalidates (or the reverse) still agrees, and so does a
     * non-200 answer the lab passes on as it came.
     */
    private static boolean agree(Seen mine, Seen theirs, int status) {
      if (mine.request().equals("no request") != theirs.request().equals("no request")) return false;
      boolean bothRevalidate = mine.request().startsWith("If-None-Match") && theirs.request().startsWith("If-None-Match");
      if (bothRevalidate && !mine.request().equals(theirs.request())) return false;
      if (status != 200 && !mine.request().equals("no request")) return mine.status() == status;
      return mine.status() == theirs.status() && mine.body().equals(theirs.body());
    }

    private Seen read(String path, boolean isLab) throws Exception {
      int before = asked.getOrDefault(path, List.of()).size();
      int status;
      String body;
      if (isLab) {
        CachingClient.Reply reply = lab.get(path);
        status = reply.status();
        body = reply.body();
      } else {
        workbook.httpcache.RealCache.Reply reply = real.get(Rest.url(origin) + path);
        status = reply.status();
        body = reply.body();
      }
      List<String> seen = asked.getOrDefault(path, List.of());
      String request = seen.size() == before ? "no request" : String.join(", then ", seen.subList(before, seen.size()));
      return new Seen(request, status, body == null ? "" : body);
    }

    /**
     * A scenario of 2 to 5 reads. Without ETags (step 4) every kind of answer is tried. With ETags
     * (step 5) the 200s are those both caches keep (a max-age of 1 s or more, no no-store), and
     * Age is on every answer of a scenario or on none: the RFC leaves open whether the Age of a
     * stored 200 still counts after a 304 that carries none, and HttpClient keeps it.
     */
    static List<Step> scenario(Random random, boolean withEtags) {
      List<Step> steps = new ArrayList<>();
      int n = 2 + random.nextInt(4);
      int version = 1;
      long lifetime = 60;
      boolean ages = random.nextInt(3) == 0;
      for (int i = 0; i < n; i++) {
        long advance = i == 0 ? 0 : switch (random.nextInt(6)) {
          case 0 -> 0;
          case 1 -> lifetime - 1;
          case 2 -> lifetime;
          case 3 -> lifetime + 1;
          default -> random.nextInt(300);
        };
        boolean last = i == n - 1;
        int status = last && random.nextInt(3) == 0 ? OTHER_STATUSES[random.nextInt(OTHER_STATUSES.length)] : 200;
        if (random.nextInt(3) == 0) version++;
        List<String> directives = directives(random, !withEtags);
        Integer age = withEtags ? (ages ? Integer.valueOf(random.nextInt(120)) : null)
            : random.nextInt(3) == 0 ? Integer.valueOf(random.nextInt(120)) : null;
        // A 304 repeats no Cache-Control, one with max-age, or one without (which replaces the stored one: stale).
        List<String> directives304 = switch (random.nextInt(4)) {
          case 0 -> List.of();
          case 1 -> withoutMaxAge(random, directives(random, false));
          default -> directives(random, false);
        };
        Integer age304 = withEtags ? (ages ? Integer.valueOf(random.nextInt(120)) : null) : null;
        boolean etag = withEtags && random.nextInt(8) != 0;
        steps.add(new Step(Math.max(0, advance), new Answer(status, version, etag, lines(random, directives), age,
            lines(random, directives304), age304)));
        lifetime = Math.max(0, maxAgeIn(directives) - (age == null ? 0 : age));
      }
      return steps;
    }

    private static final String[] NAMES = {"public", "private", "no-store", "no-cache", "must-revalidate",
        "proxy-revalidate", "no-transform", "s-maxage", "private=\"Set-Cookie, Authorization\"", "community=\"UCI\"", "x-ext"};

    /**
     * Cache-Control directives in random order, letter case and argument form. With any=false (the
     * answers of step 5, and every 304 that repeats one) there is always a max-age of 1 s or more and no no-store.
     */
    static List<String> directives(Random random, boolean any) {
      List<String> out = new ArrayList<>();
      if (!any || random.nextInt(5) != 0) {
        int[] ages = {0, 1, 5, 59, 60, 61, 120, 3600, 31536000};
        int maxAge = random.nextBoolean() ? ages[random.nextInt(ages.length)] : random.nextInt(400);
        if (!any) maxAge = Math.max(1, maxAge);
        // Only the token form: RFC 9111 (5.2.2.1) forbids sending max-age="60", and HttpClient ignores it.
        out.add(randomCase(random, "max-age") + "=" + maxAge);
      }
      int extra = random.nextInt(3);
      for (int j = 0; j < extra; j++) {
        String name = NAMES[random.nextInt(NAMES.length)];
        if (!any && name.equals("no-store")) continue;
        if (name.equals("s-maxage")) name = randomCase(random, name) + "=" + random.nextInt(400);
        else if (!name.contains("=")) name = randomCase(random, name);
        out.add(name);
      }
      Collections.shuffle(out, random);
      return out;
    }

    /** The directives with max-age taken out; at least one is left. */
    private static List<String> withoutMaxAge(Random random, List<String> directives) {
      List<String> out = new ArrayList<>(directives);
      out.removeIf(d -> d.toLowerCase(Locale.ROOT).startsWith("max-age"));
      if (out.isEmpty()) out.add(randomCase(random, "public"));
      return out;
    }

    private static String randomCase(Random random, String name) {
      return switch (random.nextInt(4)) {
        case 0 -> name.toUpperCase(Locale.ROOT);
        case 1 -> Character.toUpperCase(name.charAt(0)) + name.substring(1);
        default -> name;
      };
    }

    /** The directives as header lines: one line or two, commas with or without spaces. */
    private static List<String> lines(Random random, List<String> directives) {
      if (directives.isEmpty()) return List.of();
      String[] separators = {", ", ",", " , ", ",  "};
      if (directives.size() > 1 && random.nextInt(3) == 0) {
        int cut = 1 + random.nextInt(directives.size() - 1);
        return List.of(String.join(separators[random.nextInt(4)], directives.subList(0, cut)),
            String.join(separators[random.nextInt(4)], directives.subList(cut, directives.size())));
      }
      return List.of(String.join(separators[random.nextInt(4)], directives));
    }

    private static long maxAgeIn(List<String> directives) {
      for (String d : directives) {
        if (d.toLowerCase(Locale.ROOT).startsWith("max-age=")) return Long.parseLong(d.substring(8).replace("\"", ""));
      }
      return 0;
    }

    /** Runs `count` generated scenarios from `seed`; fails with the seed and the smallest disagreement found. */
    void compare(long seed, int count, boolean withEtags, String todo) throws Exception {
      Random random = new Random(seed);
      for (int c = 0; c < count; c++) {
        List<Step> steps = scenario(random, withEtags);
        String failure = play(steps);
        if (failure == null) continue;
        List<Step> smallest = shrink(steps);
        String shown = play(smallest);
        throw new AssertionError(todo + "\nScenario " + (c + 1) + " of " + count + " generated from seed " + seed
            + " (LAB02_SEED=" + seed + " ./jbang labs/02-http-caching/ProductCacheTest.java runs the same cases)" + "; the smallest disagreement found:\n" + (shown == null ? failure : shown));
      }
    }

    /**
     * Greedy: drops reads and simplifies answers while the lab's client and the real cache still
     * disagree, within 60 replays so that a failing run stays quick.
     */
    private List<Step> shrink(List<Step> steps) throws Exception {
      List<Step> best = steps;
      int replays = 0;
      while (replays < 60) {
        List<Step> next = null;
        for (List<Step> candidate : smaller(best)) {
          if (++replays > 60) break;
          if (play(candidate) != null) { next = candidate; break; }
        }
        if (next == null) return best;
        best = next;
      }
      return best;
    }

    private static List<List<Step>> smaller(List<Step> steps) {
      List<List<Step>> out = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        if (steps.size() > 1) {
          List<Step> fewer = new ArrayList<>(steps);
          fewer.remove(i);
          out.add(fewer);
        }
        Step s = steps.get(i);
        Answer a = s.answer();
        if (s.advance() > 0) out.add(with(steps, i, new Step(0, a)));
        if (a.age() != null) out.add(with(steps, i, new Step(s.advance(), new Answer(a.status(), a.version(), a.etag(), a.cacheControl(), null, a.cacheControl304(), a.age304()))));
        if (a.age304() != null) out.add(with(steps, i, new Step(s.advance(), new Answer(a.status(), a.version(), a.etag(), a.cacheControl(), a.age(), a.cacheControl304(), null))));
        if (!a.cacheControl304().isEmpty()) out.add(with(steps, i, new Step(s.advance(), new Answer(a.status(), a.version(), a.etag(), a.cacheControl(), a.age(), List.of(), a.age304()))));
        if (a.cacheControl().size() > 1) out.add(with(steps, i, new Step(s.advance(), new Answer(a.status(), a.version(), a.etag(), List.of(String.join(", ", a.cacheControl())), a.age(), a.cacheControl304(), a.age304()))));
        List<String> parts = a.cacheControl().isEmpty() ? List.of() : List.of(String.join(",", a.cacheControl()).split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)"));
        for (int p = 0; p < parts.size() && parts.size() > 1; p++) {
          List<String> rest = new ArrayList<>(parts);
          rest.remove(p);
          out.add(with(steps, i, new Step(s.advance(), new Answer(a.status(), a.version(), a.etag(),
              List.of(rest.stream().map(String::trim).collect(Collectors.joining(", "))), a.age(), a.cacheControl304(), a.age304()))));
        }
      }
      return out;
    }

    private static List<Step> with(List<Step> steps, int i, Step step) {
      List<Step> copy = new ArrayList<>(steps);
      copy.set(i, step);
      return copy;
    }

    /** The seed: LAB02_SEED=N (or -Dlab02.seed=N) repeats a run; otherwise a new one each run, printed. */
    static long seed() {
      String given = System.getProperty("lab02.seed", System.getenv("LAB02_SEED"));
      long seed = given != null ? Long.parseLong(given) : new Random().nextLong();
      System.out.println("lab 02 generated cases: seed " + seed);
      return seed;
    }

    @Override
    public void close() throws Exception {
      real.close();
      origin.stop();
    }
  }

  /** Loads ProductApi (and its nested classes) once more, from the same bytes: a replica with static fields of its own. */
  static final class FreshProductApi extends ClassLoader {
    FreshProductApi(ClassLoader parent) { super(parent); }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.equals("ProductApi") && !name.startsWith("ProductApi$")) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded != null) return loaded;
        try (java.io.InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
          if (in == null) throw new ClassNotFoundException(name);
          byte[] bytes = in.readAllBytes();
          return defineClass(name, bytes, 0, bytes.length);
        } catch (IOException e) {
          throw new ClassNotFoundException(name, e);
        }
      }
    }
  }

  private HttpResponse<String> get(String pathOrUrl, String... headers) throws Exception {
    return send(request(pathOrUrl, headers));
  }

  private HttpResponse<String> head(String path) throws Exception {
    return send(request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
  }

  private HttpRequest.Builder request(String pathOrUrl, String... headers) {
    String url = pathOrUrl.startsWith("http") ? pathOrUrl : api.url() + pathOrUrl;
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(25));
    if (headers.length > 0) request.headers(headers);
    return request;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A header's value in a raw head (lower case), or null. */
  private static String field(String head, String name) {
    return head.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).trim())
        .findFirst().orElse(null);
  }

  private String etagOf(String pathOrUrl) throws Exception {
    return get(pathOrUrl).headers().firstValue("ETag").orElse(null);
  }

  /** The answer exactly as sent, from a plain socket: HttpClient never shows a 304's body. */
  private String rawGet(String path, String ifNoneMatch) throws IOException {
    URI uri = URI.create(api.url());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(25_000);
      String request = "GET " + path + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nIf-None-Match: "
          + ifNoneMatch + "\r\nConnection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private static List<String> directives(String header) {
    if (header == null) return List.of();
    return List.of(header.toLowerCase(Locale.ROOT).replace(" ", "").split(","));
  }
}
