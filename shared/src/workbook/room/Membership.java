package workbook.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A learner's opt-in to a room, kept in .workbook/room.json: the room's address and code, the name
 * they chose, and a random id that stands for them (so two Anas are two rows). Nothing is reported
 * unless this file exists; {@code leave} deletes it.
 */
public record Membership(String host, int port, String code, String name, String learner) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ADDRESS = Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]):(\\d{1,5})");
  private static final Pattern CODE = Pattern.compile("[A-Z]{4}-[0-9]{4}");

  /** Where the opt-in is kept in a workbook. */
  public static Path file(Path workbook) { return workbook.resolve(".workbook/room.json"); }

  /**
   * Reads what join was given; a bad address, code or name is one sentence saying what to type.
   * The address is host:port as the room printed it (e.g. 192.168.1.20:7070).
   */
  public static Membership of(String address, String code, String name) {
    var m = ADDRESS.matcher(address);
    if (!m.matches()) throw new IllegalArgumentException("\"" + address + "\" is not an address: type it as the room shows it, e.g. 192.168.1.20:7070");
    int port = Integer.parseInt(m.group(2));
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " does not exist: type the address as the room shows it");
    String upper = code.toUpperCase(java.util.Locale.ROOT);
    if (!CODE.matcher(upper).matches()) throw new IllegalArgumentException("\"" + code + "\" is not a room code: it looks like ABCD-1234, as the room shows it");
    String clean = Report.clean(name, Report.MAX_NAME);
    if (clean.isBlank()) throw new IllegalArgumentException("give the name the room should show: --name Ana");
    byte[] id = new byte[12];
    new SecureRandom().nextBytes(id);
    return new Membership(m.group(1), port, upper, clean, HexFormat.of().formatHex(id));
  }

  public String address() { return host + ":" + port; }

  /** The room's base URL. */
  public String url() { return "http://" + address(); }

  /** Saved whole or not at all (written beside, then moved). */
  public void save(Path workbook) throws IOException {
    Path f = file(workbook);
    Files.createDirectories(f.getParent());
    Path tmp = f.resolveSibling("room.json.tmp");
    Files.writeString(tmp, JSON.createObjectNode().put("host", host).put("port", port).put("code", code)
        .put("name", name).put("learner", learner).toPrettyString(), StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The workbook's opt-in, if it joined a room (a damaged file counts as not joined). */
  public static Optional<Membership> load(Path workbook) {
    Path f = file(workbook);
    if (!Files.isRegularFile(f)) return Optional.empty();
    try {
      JsonNode n = JSON.readTree(f.toFile());
      Membership m = new Membership(n.path("host").asText(), n.path("port").asInt(), n.path("code").asText(),
          n.path("name").asText(), n.path("learner").asText());
      return m.host.isEmpty() || m.port <= 0 || m.code.isEmpty() || m.learner.isEmpty() ? Optional.empty() : Optional.of(m);
    } catch (IOException damaged) {
      return Optional.empty();
    }
  }

  /** Stops reporting: true if there was a room to leave. */
  public static boolean leave(Path workbook) throws IOException {
    return Files.deleteIfExists(file(workbook));
  }
}
