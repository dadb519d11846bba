package com.pactcrm.connector.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** logback.xml's two layouts: text by default, JSON with {@code LOG_FORMAT=json}; each key once per line in both. */
class LogFormatTest {

    /** Refuses a JSON object that has a key twice, which plain Jackson would read with the last value winning. */
    static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final Map<String, String> MDC = Map.of("installationId", "42", "eventId", "9001");

    @Test
    void jsonLineIsOneObjectWithInstallationIdEventIdAndOneFieldPerKeyOfTheMessage() throws Exception {
        ILoggingEvent event = event(Level.WARN, "event=relay_call_failed installationId={} status={} detail=\"{}\" durationMs={}",
                MDC, 42, 503, "portal answered slowly", 12);
        String line = encode(LogbackLayouts.encoder("json"), event);

        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        JsonNode json = STRICT.readTree(line);
        assertEquals("42", json.path("installationId").asText());
        assertEquals("9001", json.path("eventId").asText());
        assertEquals("relay_call_failed", json.path("event").asText());
        assertEquals("503", json.path("status").asText());
        assertEquals("portal answered slowly", json.path("detail").asText());
        assertEquals("12", json.path("durationMs").asText());
        assertEquals("WARN", json.path("level").asText());
        assertEquals("OutboxRelay", json.path("logger").asText());
        assertTrue(json.path("timestamp").asText().endsWith("Z"), json.path("timestamp").asText());
        assertEquals(event.getFormattedMessage(), json.path("message").asText());
    }

    @Test
    void jsonMasksSecretsInTheMessageAndItsFields() throws Exception {
        String token = "sk-live-4c9e1a7b2d3f5e6a8b9c0d1e";
        ILoggingEvent event = event(Level.INFO, "event=oauth_call url=\"https://x.example/?refresh_token={}\" header=\"Bearer {}\"",
                Map.of(), token, token);
        String line = encode(LogbackLayouts.encoder("json"), event);
        assertFalse(line.contains(token), line);
        assertTrue(STRICT.readTree(line).path("url").asText().contains("refresh_token="), line);
    }

    @Test
    void jsonCarriesTheStackTraceInAFieldOfItsOwn() throws Exception {
        LoggingEvent event = event(Level.ERROR, "event=inbound_parked attempts={}", MDC, 5);
        event.setThrowableProxy(new ch.qos.logback.classic.spi.ThrowableProxy(new IllegalStateException("boom")));
        JsonNode json = STRICT.readTree(encode(LogbackLayouts.encoder("json"), event));
        assertTrue(json.path("stack_trace").asText().contains("IllegalStateException: boom"), json.toString());
        assertEquals("inbound_parked", json.path("event").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"json", "JSON", " Json "})
    void jsonIsChosenWhateverTheCase(String format) {
        assertInstanceOf(LoggingEventCompositeJsonEncoder.class, LogbackLayouts.encoder(format));
    }

    /** A typo must not leave the service without logs: anything but json writes text. */
    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"text", "", "jsn", "logfmt"})
    void anythingElseWritesText(String format) {
        assertInstanceOf(PatternLayoutEncoder.class, LogbackLayouts.encoder(format));
    }

    @Test
    void textLineHasEveryKeyOnceTheMdcsOnlyWhereTheMessageLacksThem() {
        Encoder<ILoggingEvent> text = LogbackLayouts.encoder(null);
        String both = encode(text, event(Level.INFO, "event=amocrm_token_refreshed installationId={} expires_at={}", MDC, 42, "2026-01-01"));
        assertEquals(1, count(both, "installationId="), both);
        assertEquals(1, count(both, "eventId=9001"), both);
        assertEquals(1, count(both, "event=amocrm_token_refreshed"), both);
        assertTrue(both.contains(" INFO  OutboxRelay eventId=9001 event=amocrm_token_refreshed installationId=42 "), both);

        String none = encode(text, event(Level.INFO, "event=leases_balanced owner={}", Map.of(), "replica-1"));
        assertFalse(none.contains("installationId=") || none.contains("eventId="), none);
        assertTrue(none.contains(" OutboxRelay event=leases_balanced owner=replica-1"), none);
    }

    @Test
    void messageKeyValuesReadQuotedAndBareValues() {
        Map<String, String> pairs = MessageKeyValues.parse("event=x a=1 detail=\"two words \\\"quoted\\\"\" empty= a=2 b=-");
        assertEquals(Map.of("event", "x", "a", "1", "detail", "two words \"quoted\"", "empty", "", "b", "-"), pairs);
        Iterator<String> order = pairs.keySet().iterator();
        assertEquals("event", order.next());
    }

    private static LoggingEvent event(Level level, String message, Map<String, String> mdc, Object... args) {
        LoggerContext context = new LoggerContext();
        LoggingEvent event = new LoggingEvent(LogFormatTest.class.getName(),
                context.getLogger("com.pactcrm.connector.sync.outbox.OutboxRelay"), level, message, null, args);
        event.setMDCPropertyMap(mdc);
        return event;
    }

    private static String encode(Encoder<ILoggingEvent> encoder, ILoggingEvent event) {
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile("(?<![A-Za-z])" + Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
