//SOURCES ../json/*.java ../files/*.java
package workbook.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real headless Chromium for the tests, driven over the Chrome DevTools Protocol with the JDK's
 * own HTTP and WebSocket clients: no WebDriver, nothing else to download. Every wait is bounded.
 * Lab 16's browser test and the workbook's own page test (shared/test/StoryPageTest) use it.
 */
public final class Browser implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START = Duration.ofSeconds(30);
  private static final Duration ANSWER = Duration.ofSeconds(10);
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on ws://([^/\\s]+)/");

  private final Path home;
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<String> console = new CopyOnWriteArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  private WebSocket page;

  /** The Chromium or Chrome to run: $CHROME_BIN, else the usual names on the PATH and install folders. */
  public static Optional<Path> find() {
    String chosen = System.getenv("CHROME_BIN");
    if (chosen != null && !chosen.isBlank()) return Optional.of(Path.of(chosen)).filter(Files::isExecutable);
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
        candidates.add(Path.of(dir, name));
      }
    }
    candidates.add(Path.of("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"));
    candidates.add(Path.of("/Applications/Chromium.app/Contents/MacOS/Chromium"));
    candidates.add(Path.of("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"));
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  /** Starts the browser with a fresh profile and connects to its first tab (a 1024x768 window). */
  public static Browser start(Path binary) throws Exception {
    return start(binary, 1024, 768);
  }

  /** The same with a window of the given size. */
  public static Browser start(Path binary, int width, int height) throws Exception {
    Browser browser = new Browser(binary, width, height);
    try {
      browser.connect(browser.awaitDevTools());
      return browser;
    } catch (Exception e) {
      browser.close();
      throw e;
    }
  }

  private Browser(Path binary, int width, int height) throws IOException {
    home = Files.createTempDirectory("workbook-browser-");
    // who made it: the workbook's next command removes it if this JVM was killed before its hook ran
    Files.writeString(home.resolve(".workbook-owner"), String.valueOf(ProcessHandle.current().pid()));
    ProcessBuilder builder = new ProcessBuilder(binary.toString(),
        // Headless, as root in a container (no sandbox: it only ever loads our own page on 127.0.0.1).
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--user-data-dir=" + home.resolve("profile"), "--window-size=" + width + "," + height,
        // Nothing that phones home: on a closed network those requests stall the start.
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--no-default-browser-check",
        "--remote-debugging-port=0", "about:blank")
        .redirectErrorStream(true).redirectOutput(home.resolve("chromium.log").toFile());
    // Chromium keeps sockets and scratch files in TMPDIR (org.chromium.Chromium.*): inside its home,
    // they are deleted with it, even when Chromium itself is killed.
    builder.environment().put("TMPDIR", home.toString());
    process = builder.start();
  }

  /** Chromium prints "DevTools listening on ws://127.0.0.1:PORT/..." once it is ready; returns host:port. */
  private String awaitDevTools() throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.readString(home.resolve("chromium.log")));
      if (m.find()) return m.group(1);
      if (!process.isAlive()) throw new IllegalStateException("Chromium exited at start: " + log());
      Thread.sleep(50);
    }
    throw new IllegalStateException("Chromium did not open its DevTools port within " + START.toSeconds() + " s: " + log());
  }

  private void connect(String hostPort) throws Exception {
    HttpResponse<String> targets = http.send(HttpRequest.newBuilder(URI.create("http://" + hostPort + "/json/list"))
        .timeout(ANSWER).build(), HttpResponse.BodyHandlers.ofString());
    String url = null;
    for (JsonNode target : JSON.readTree(targets.body())) {
      if (target.path("type").asText().equals("page")) url = target.path("webSocketDebuggerUrl").asText();
    }
    if (url == null) throw new IllegalStateException("Chromium has no tab to drive: " + targets.body());
    page = http.newWebSocketBuilder().connectTimeout(ANSWER).buildAsync(URI.create(url), new Listener())
        .get(ANSWER.toSeconds(), TimeUnit.SECONDS);
    call("Runtime.enable", Map.of()); // console messages and uncaught errors of the page
    call("Log.enable", Map.of()); // the browser's own complaints, such as failed requests
  }

  public void open(String url) throws Exception {
    call("Page.navigate", Map.of("url", url));
  }

  /** The text of the first element matching a CSS selector, or null if there is none. */
  public String text(String selector) throws Exception {
    JsonNode value = evaluate("(() => { const e = document.querySelector(" + JSON.writeValueAsString(selector)
        + "); return e ? e.textContent : null; })()");
    return value.isNull() || value.isMissingNode() ? null : value.asText();
  }

  /** Clicks like a user does: a left mouse press and release over the middle of the element. */
  public void click(String selector) throws Exception {
    JsonNode at = centre(selector);
    for (String type : List.of("mousePressed", "mouseReleased")) {
      call("Input.dispatchMouseEvent", Map.of("type", type, "x", at.get("x").asDouble(), "y", at.get("y").asDouble(),
          "button", "left", "clickCount", 1));
    }
  }

  /** Moves the mouse over the middle of the element, as a user pointing at it. */
  public void hover(String selector) throws Exception {
    JsonNode at = centre(selector);
    call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", at.get("x").asDouble(), "y", at.get("y").asDouble()));
  }

  private JsonNode centre(String selector) throws Exception {
    JsonNode at = evaluate("(() => { const e = document.querySelector(" + JSON.writeValueAsString(selector)
        + "); if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
        + " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
    if (at.isNull() || at.isMissingNode()) throw new AssertionError("there is no " + selector + " on the page to point at");
    return at;
  }

  /** Saves what the tab shows as a PNG of the given size (the page is laid out at that size). */
  public void screenshot(Path png, int width, int height) throws Exception {
    call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png"));
    Files.write(png, Base64.getDecoder().decode(shot.path("data").asText()));
  }

  /** What the page wrote to its console, and the errors the browser reported, oldest first. */
  public List<String> console() { return List.copyOf(console); }

  /** Runs a JavaScript expression in the page and returns its value (as JSON). */
  public JsonNode evaluate(String expression) throws Exception {
    JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true));
    if (result.has("exceptionDetails")) throw new IllegalStateException("the page failed: " + result.get("exceptionDetails"));
    return result.path("result").path("value");
  }

  /** One DevTools command: sends it, and waits (bounded) for the answer with the same id. */
  private JsonNode call(String method, Map<String, Object> params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    pending.put(id, answer);
    String message = JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params));
    synchronized (this) { // a WebSocket takes one message at a time
      page.sendText(message, true).get(ANSWER.toSeconds(), TimeUnit.SECONDS);
    }
    JsonNode reply = answer.get(ANSWER.toSeconds(), TimeUnit.SECONDS);
    if (reply.has("error")) throw new IllegalStateException(method + " failed: " + reply.get("error"));
    return reply.path("result");
  }

  /** Answers go to the call waiting for them; events from the page go to console(). */
  private void receive(String text) throws IOException {
    JsonNode message = JSON.readTree(text);
    if (message.has("id")) {
      CompletableFuture<JsonNode> answer = pending.remove(message.get("id").asInt());
      if (answer != null) answer.complete(message);
      return;
    }
    JsonNode params = message.path("params");
    switch (message.path("method").asText()) {
      case "Runtime.consoleAPICalled" -> console.add("console." + params.path("type").asText() + ": " + params.path("args"));
      case "Runtime.exceptionThrown" -> console.add("error: " + params.at("/exceptionDetails/exception/description").asText());
      case "Log.entryAdded" -> console.add(params.at("/entry/level").asText() + ": " + params.at("/entry/text").asText()
          + " " + params.at("/entry/url").asText());
      default -> { }
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder parts = new StringBuilder();

    @Override public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      parts.append(data);
      if (last) {
        try {
          receive(parts.toString());
        } catch (IOException e) {
          console.add("unreadable DevTools message: " + e.getMessage());
        }
        parts.setLength(0);
      }
      socket.request(1);
      return null;
    }
  }

  private String log() {
    try {
      List<String> lines = Files.readAllLines(home.resolve("chromium.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Stops Chromium and every process it started, then deletes its profile. */
  @Override
  public void close() {
    if (page != null) page.abort();
    List<ProcessHandle> family = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
    family.forEach(ProcessHandle::destroy); // a polite stop first: Chromium ends its helpers itself
    // Chromium's own shutdown takes about 2 s (it saves a profile this class deletes anyway): a short
    // grace, then every process of the family is killed and waited for, so none outlives the run.
    long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
    while (family.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) pause(20);
    family.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (family.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) pause(20);
    deleteHome();
  }

  private void deleteHome() {
    for (int attempt = 0; attempt < 3 && Files.exists(home); attempt++) {
      if (attempt > 0) pause(200); // a helper process may still be writing its last file
      workbook.files.Folders.delete(home);
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
