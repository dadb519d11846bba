package com.pactcrm.connector.amocrm.install;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The amoCRM install callback under attack: a code amoCRM refuses, referers that are not an account host, and a token
 * endpoint that redirects. Each is a 4xx or 502 problem, nothing is stored, and the client secret goes nowhere but the
 * account host that passed the check.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmTrustIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();
    /** Where a hostile answer points: it must never be called. */
    @RegisterExtension
    static final StartedWireMock ELSEWHERE = new StartedWireMock();
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";

    @Inject
    EmbeddedServer server;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "test.crm-double", "false",
                "connector.amocrm.client-id", CLIENT_ID,
                "connector.amocrm.client-secret", CLIENT_SECRET,
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback",
                "connector.amocrm.scheme", "http",
                "connector.amocrm.allowed-host-suffixes", ".amocrm.ru,.kommo.com,127.0.0.1",
                "connector.public-url", "https://connector.example.com");
    }

    @BeforeEach
    void fresh() {
        AMO.resetAll();
        ELSEWHERE.resetAll();
        ELSEWHERE.stubFor(any(anyUrl()).willReturn(okJson("{\"token_type\":\"Bearer\",\"expires_in\":86400,"
                + "\"access_token\":\"stolen\",\"refresh_token\":\"stolen\"}")));
        sql.update("DELETE FROM installation WHERE crm = 'AMOCRM'");
    }

    private HttpResponse<String> installHook(String referer) {
        return Http.get(server.getURL() + "/amocrm/oauth/callback?code=def50200a1b2c3&referer="
                + URLEncoder.encode(referer, StandardCharsets.UTF_8) + "&from_widget=1&client_id=" + CLIENT_ID);
    }

    @Test
    void aCodeAmoCrmRefusesIsTheCallersMistakeNotABadGateway() {
        // amoCRM's answer to an expired or used code (OAuthProblemJson, amocrm.md §1.3).
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/problem+json")
                .withBody("{\"hint\":\"Authorization code has expired\",\"title\":\"Некорректный запрос\","
                        + "\"type\":\"https://developers.amocrm.ru/v3/errors/OAuthProblemJson\",\"status\":400,"
                        + "\"detail\":\"В запросе отсутствует ряд параметров или параметры невалидны\"}")));

        HttpResponse<String> r = installHook("127.0.0.1:" + AMO.port());

        assertClearRefusal(400, r);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'AMOCRM'"));
    }

    @Test
    void refererThatIsNotExactlyOneAccountLabelGetsNothingSent() {
        for (String referer : List.of("x.acme.amocrm.ru", "acme.amocrm.ru:8443", "amocrm.ru", ".amocrm.ru",
                "-acme.amocrm.ru", "acme.amocrm.ru.evil.example", "evil.example/acme.amocrm.ru",
                "acme.amocrm.ru@evil.example", "acme_1.amocrm.ru", "acme.amocrm.ru#", "127.0.0.1.evil.example",
                "a." + "b".repeat(70) + ".kommo.com")) {
            assertClearRefusal(400, installHook(referer));
        }

        assertEquals(0, AMO.getAllServeEvents().size() + ELSEWHERE.getAllServeEvents().size(), "something was sent");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'AMOCRM'"));
    }

    @Test
    void aTokenEndpointThatRedirectsIsNotFollowedWithTheSecret() {
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(aResponse().withStatus(307)
                .withHeader("Location", "http://127.0.0.1:" + ELSEWHERE.port() + "/oauth2/access_token")));

        HttpResponse<String> r = installHook("127.0.0.1:" + AMO.port());

        assertClearRefusal(502, r);
        assertEquals(0, ELSEWHERE.getAllServeEvents().size(), "the client secret followed the redirect");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'AMOCRM'"));
    }

    private static void assertClearRefusal(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        for (String internal : List.of("Exception", "java.", "com.pactcrm", CLIENT_SECRET)) {
            assertFalse(r.body().contains(internal), "internal text in " + r.body());
        }
    }
}
