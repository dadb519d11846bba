package com.pactcrm.connector.widgetapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.AmoCrmDisposableTokens;
import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.annotation.Property;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
@Property(name = "connector.amocrm.client-id", value = AmoCrmSessionIT.CLIENT_ID)
@Property(name = "connector.amocrm.client-secret", value = AmoCrmSessionIT.CLIENT_SECRET)
@Property(name = "connector.amocrm.redirect-uri", value = "https://connector.example.com/amocrm/oauth/callback")
class AmoCrmSessionIT {

    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    TestSql sql;

    static String jwt(String alg, String secret, Map<String, Object> claims) {
        return AmoCrmDisposableTokens.jwt(alg, secret, claims);
    }

    static Map<String, Object> claims(Installation installation) {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", "https://acme.amocrm.ru");
        c.put("aud", "https://connector.example.com");
        c.put("jti", UUID.randomUUID().toString());
        c.put("iat", now);
        c.put("nbf", now);
        c.put("exp", now + 1800);
        c.put("account_id", installation.crmAccountId());
        c.put("subdomain", "acme");
        c.put("client_uuid", CLIENT_ID);
        c.put("user_id", 8123456);
        c.put("is_admin", true);
        return c;
    }

    private HttpResponse<String> open(String token) throws Exception {
        return open(token, null);
    }

    private HttpResponse<String> open(String token, String origin) throws Exception {
        return open(server, token, origin);
    }

    private static HttpResponse<String> open(EmbeddedServer replica, String token, String origin) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(replica.getURL() + "/api/v1/sessions/amocrm"))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (origin != null) {
            request.header("Origin", origin);
        }
        if (token != null) {
            request.header("X-Auth-Token", token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aValidDisposableTokenOpensASessionBoundToInstallationUserAndAdminFlag() throws Exception {
        Installation installation = installations.amoCrm(null);
        HttpResponse<String> response = open(jwt("HS256", CLIENT_SECRET, claims(installation)));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals(installation.id().longValue(), body.get("installationId").asLong());
        assertEquals("8123456", body.at("/user/id").asText());
        assertTrue(body.at("/user/admin").asBoolean());
        SessionTokens.Session session = sessions.verify(body.get("token").asText()).orElseThrow();
        assertEquals(installation.id().longValue(), session.installationId());
        assertTrue(session.admin());
        assertTrue(body.get("expiresAt").isTextual(), "ISO-8601, as the widget's Date.parse reads it: " + body);
        assertEquals(session.expiresAt().getEpochSecond(), Instant.parse(body.get("expiresAt").asText()).getEpochSecond());
    }

    @Test
    void forgedExpiredMisaddressedReplayedOrMissingTokensAre401() throws Exception {
        Installation installation = installations.amoCrm(null);
        Map<String, Object> expired = claims(installation);
        expired.put("exp", Instant.now().getEpochSecond() - 600);
        Map<String, Object> wrongAudience = claims(installation);
        wrongAudience.put("aud", "https://evil.example.com");
        Map<String, Object> otherIntegration = claims(installation);
        otherIntegration.put("client_uuid", UUID.randomUUID().toString());
        String once = jwt("HS256", CLIENT_SECRET, claims(installation));
        assertEquals(200, open(once).statusCode());

        for (String token : new String[] {
                jwt("HS256", "another-secret-another-secret-another-secret-another-secret-1234", claims(installation)),
                jwt("HS256", CLIENT_SECRET, expired),
                jwt("HS256", CLIENT_SECRET, wrongAudience),
                jwt("HS256", CLIENT_SECRET, otherIntegration),
                jwt("none", CLIENT_SECRET, claims(installation)),
                once,
                "not.a.jwt",
                null}) {
            HttpResponse<String> response = open(token);
            assertEquals(401, response.statusCode(), String.valueOf(token));
            assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void aTokenUsedAtOneReplicaIsRefusedAtAnotherOnTheSameDatabase() throws Exception {
        Installation installation = installations.amoCrm(null);
        Map<String, String> replicaB = ServiceProcess.onDatabase(sql.jdbcUrl(), Map.of(
                "connector.amocrm.client-id", CLIENT_ID,
                "connector.amocrm.client-secret", CLIENT_SECRET,
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback",
                "connector.dispatcher.enabled", "false",
                "connector.relay.enabled", "false",
                "connector.lease.enabled", "false"));
        try (EmbeddedServer other = ApplicationContext.run(EmbeddedServer.class, new LinkedHashMap<>(replicaB), "test")) {
            String token = jwt("HS256", CLIENT_SECRET, claims(installation));
            long usedBefore = sql.count("SELECT COUNT(*) FROM used_token_id");

            assertEquals(200, open(token).statusCode(), "replica A opens the session");
            HttpResponse<String> replay = open(other, token, null);

            assertEquals(401, replay.statusCode(), replay.body());
            assertEquals("application/problem+json", replay.headers().firstValue("Content-Type").orElse(""));
            assertFalse(replay.body().contains("\"token\""), "a session was issued: " + replay.body());
            assertEquals(usedBefore + 1, sql.count("SELECT COUNT(*) FROM used_token_id"), "one row per token, not per replica");
            assertEquals(401, open(token).statusCode(), "nor again at replica A");
            assertEquals(200, open(other, jwt("HS256", CLIENT_SECRET, claims(installation)), null).statusCode(),
                    "replica B opens sessions for tokens it has not seen");
        }
    }

    @Test
    void aTokenOpensASessionOnlyFromItsOwnAccountsPage() throws Exception {
        Installation installation = installations.amoCrm(null);
        assertEquals(403, open(jwt("HS256", CLIENT_SECRET, claims(installation)), "https://rival.amocrm.ru").statusCode());
        assertEquals(200, open(jwt("HS256", CLIENT_SECRET, claims(installation)), "https://acme.amocrm.ru").statusCode());
    }

    @Test
    void anAccountWithoutTheConnectorIsForbidden() throws Exception {
        Installation installation = installations.amoCrm(null);
        Map<String, Object> c = claims(installation);
        c.put("account_id", "99999999");
        assertEquals(403, open(jwt("HS256", CLIENT_SECRET, c)).statusCode());
    }
}
