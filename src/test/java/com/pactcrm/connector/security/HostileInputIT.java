package com.pactcrm.connector.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHookKeys;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.annotation.Requires;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bodies no client of ours sends, on every JSON endpoint: never a 5xx, a body that is not a JSON object is a 4xx
 * {@code application/problem+json}, and no answer names the service's classes, types or parser settings; an
 * unexpected failure is a 500 that says only that.
 */
@MicronautTest(transactional = false)
@Property(name = "spec.name", value = "HostileInputIT")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {

    /** What a caller must never read: our packages, Java types, exception names, parser positions, stack frames. */
    static final Pattern INTERNAL = Pattern.compile(
            "java\\.|com\\.pactcrm|Exception|Source:|reference chain|\\$[A-Z]|\\tat |jdbc:|SQL", Pattern.CASE_INSENSITIVE);
    static final List<String> MALFORMED_JSON = List.of("[1,2,3]", "\"a string\"", "42", "true", "null", "{", "",
            "\u0000\u0001garbage", "{\"AUTH_ID\":{\"a\":1}}", "{\"AUTH_ID\":[1,2]}", "{\"member_id\":1e999}",
            "{\"wabaTemplateId\":\"x\"}", "{\"quickReplyId\":99999999999999999999}", "[".repeat(5000),
            "{\"a\":" + "[".repeat(2000), "{\"requestId\":1,\"entityType\":[],\"entityId\":{}}", "{\"companyId\":\"abc\"}",
            "{\"companyId\":99999999999999999999999}", "{\"newClientStages\":[1]}", "{\"users\":{\"a\":1}}",
            "{\"title\":null,\"body\":null}", "{\"a\":\"\\ud800\"}",
            "{\"requestId\":\"r\",\"entityType\":\"lead\",\"entityId\":\"1\",\"provider\":\"whatsapp_business\","
                    + "\"phone\":\"5511987654321\",\"wabaTemplateId\":1,\"substitutions\":[null]}");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    Outbox outbox;
    @Inject
    TestSql sql;
    @Inject
    InstallationHookKeys hookKeys;

    @Test
    void malformedJsonOnEveryJsonEndpointIsAPlainClientError() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String admin = sessions.issue(installation.id(), "1", "Ana", true);
        List<String> endpoints = List.of("POST /api/v1/sessions/bitrix24", "POST /api/v1/chats", "PUT /api/v1/settings",
                "PUT /api/v1/settings/pact", "POST /api/v1/settings/pact/test", "POST /api/v1/templates",
                "PUT /api/v1/templates/1", "POST /api/v1/dry-run", "POST /api/v1/sessions/amocrm",
                "POST /pact/webhooks/" + installation.pactHookKey());
        List<String> wrong = new ArrayList<>();

        for (String endpoint : endpoints) {
            String[] methodAndPath = endpoint.split(" ");
            for (String body : MALFORMED_JSON) {
                HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(server.getURL() + methodAndPath[1]))
                        .header("Content-Type", "application/json").header("Authorization", "Bearer " + admin)
                        .method(methodAndPath[0], HttpRequest.BodyPublishers.ofString(body)).build());
                boolean notAnObject = !body.startsWith("{") || !body.endsWith("}");
                boolean refused = r.statusCode() >= 400;
                // An object with unknown or ill-typed fields may be a harmless partial update (unknown fields are
                // ignored); anything that is not a JSON object never is.
                if (r.statusCode() >= 500 || (notAnObject && !refused) || INTERNAL.matcher(r.body()).find()
                        || (refused && !r.headers().firstValue("Content-Type").orElse("").equals("application/problem+json"))) {
                    wrong.add(endpoint + " " + abbreviate(body) + " → " + r.statusCode() + " " + r.body());
                }
            }
        }

        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        HttpResponse<String> array = send(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/sessions/bitrix24"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("[1,2,3]")).build());
        assertEquals(400, array.statusCode(), "the fuzzed 500 of the issue: " + array.body());
    }

    @Test
    void anUnexpectedFailureIsAGeneric500WithoutItsMessage() {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(server.getURL() + "/test-only/failing")).build());

        assertEquals(500, r.statusCode());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.body().contains("the request failed; it was logged"), r.body());
        assertTrue(!r.body().contains("db-secret") && !INTERNAL.matcher(r.body()).find(), r.body());
    }

    @Test
    void aMessageTooLargeToStoreWholeIsRefusedUpFront() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String manager = sessions.issue(installation.id(), "2", "Bia", false);
        String text = "Olá ".repeat(1100);

        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/chats"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + manager)
                .POST(HttpRequest.BodyPublishers.ofString("{\"requestId\":\"big-1\",\"entityType\":\"lead\","
                        + "\"entityId\":\"31926520\",\"provider\":\"whatsapp\",\"phone\":\"5511987654321\","
                        + "\"text\":\"" + text + "\"}")).build());

        assertEquals(400, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> outbox.enqueue(
                installation.id(), CommandKind.PACT_CONVERSATION_NOTE, "huge-1", null, Map.of("text", "x".repeat(70_000)),
                null, null));
        assertTrue(refused.getMessage().contains("64 KB"), refused.getMessage());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()),
                "nothing is stored cut short");
    }

    @Test
    void aHookKeyOpensItsWebhookUrlOnlyInItsExactSpelling() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String pactKey = installation.pactHookKey();
        String crmKey = installation.hookKey();
        String webhook = PactWebhooks.fixture("message-create-incoming");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE pact_hook_key = ? OR hook_key = ?",
                swapCase(pactKey), swapCase(crmKey)), "the database compares the keys byte for byte");
        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation WHERE pact_hook_key = ?", pactKey + " "),
                "but pads trailing spaces (PAD SPACE, V7): the receivers compare the key found with the URL's");

        for (String path : List.of("/pact/webhooks/" + swapCase(pactKey), "/pact/webhooks/" + pactKey + "%20",
                "/pact/webhooks/" + pactKey.toUpperCase(), "/amocrm/webhooks/" + swapCase(crmKey),
                "/amocrm/webhooks/" + crmKey + "%20")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                    .header("Content-Type", path.startsWith("/pact") ? "application/json" : "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(path.startsWith("/pact") ? webhook
                            : "leads[status][0][id]=1&account[id]=" + installation.crmAccountId())).build());
            assertEquals(404, r.statusCode(), path + " → " + r.body());
            assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        }
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()),
                "a webhook was stored for a key in another spelling");
        assertTrue(hookKeys.byPactHookKey(pactKey).isPresent() && hookKeys.byCrmHookKey(crmKey).isPresent(),
                "the exact keys still find their installation");
    }

    private static String swapCase(String key) {
        StringBuilder swapped = new StringBuilder(key.length());
        key.chars().forEach(c -> swapped.append((char) (Character.isUpperCase(c) ? Character.toLowerCase(c)
                : Character.toUpperCase(c))));
        return swapped.toString();
    }

    /** A route that fails the way a bug would, with something private in its message. */
    @Requires(property = "spec.name", value = "HostileInputIT")
    @Controller("/test-only/failing")
    static class FailingController {
        @Get
        String fail() {
            throw new IllegalStateException("pool exhausted for jdbc:mysql://db:3306/connector?password=db-secret");
        }
    }

    private static String abbreviate(String body) {
        return body.length() <= 40 ? body : body.substring(0, 40) + "…";
    }

    static HttpResponse<String> sendOnANewConnection(HttpRequest request) {
        try {
            return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
