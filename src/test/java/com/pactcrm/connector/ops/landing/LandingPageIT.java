package com.pactcrm.connector.ops.landing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.Http;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /} on a fresh start says what the service is, its health, the addresses to register in both CRMs built
 * from {@code connector.public-url}, and what is missing; once everything is set it lists nothing, and it never
 * shows a secret's value. Each test starts its own context: the page reads configuration.
 */
class LandingPageIT {

    static final String AMO_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    static final String B24_SECRET = "b24-secret-7Hq2LmV9xZ3cR8tY1uK5";
    static final String OPS_TOKEN = "ops-token-9f8e7d6c5b4a3f2e1d0c";
    static final String ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    @Test
    void aFreshStartShowsTheServiceItsHealthTheCrmAddressesAndWhatIsMissing() {
        try (EmbeddedServer server = start(Map.of("connector.encryption-key", "", "connector.dev-key-file", "target/landing-dev.key"))) {
            HttpResponse<String> page = Http.get(server.getURL() + "/");
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            String html = page.body();
            assertTrue(html.contains("<h1>Pact CRM Connector</h1>"), html);
            assertTrue(html.contains("<strong id=\"status\">UP</strong>"), html);
            assertTrue(html.contains("<code id=\"amocrm-redirect-uri\">http://localhost:8080/amocrm/oauth/callback</code>"), html);
            assertTrue(html.contains("<code id=\"bitrix24-handler\">http://localhost:8080/bitrix24/app</code>"), html);
            for (String missing : new String[] {"CONNECTOR_PUBLIC_URL is http://localhost:8080", "CONNECTOR_ENCRYPTION_KEY is not set",
                    "AMOCRM_CLIENT_ID and AMOCRM_CLIENT_SECRET are not both set", "BITRIX24_CLIENT_ID and BITRIX24_CLIENT_SECRET",
                    "DATASOURCES_DEFAULT_URL is not set", "CONNECTOR_OPS_TOKEN is not set"}) {
                assertTrue(html.contains(missing), missing + " in " + html);
            }
            // As strict as the /ui pages: nothing runs, nothing frames it, nothing sniffs it.
            assertEquals(LandingPageController.CONTENT_SECURITY_POLICY, page.headers().firstValue("Content-Security-Policy").orElse(""));
            assertTrue(LandingPageController.CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
            assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
            assertEquals("no-referrer", page.headers().firstValue("Referrer-Policy").orElse(""));
            assertFalse(html.contains("<script"), html);
        }
    }

    @Test
    void aConfiguredServiceListsOnlyWhatIsStillMissingAndShowsNoSecret() {
        try (EmbeddedServer server = start(Map.of(
                "connector.public-url", "https://connector.example.com/",
                "connector.encryption-key", ENCRYPTION_KEY,
                "connector.amocrm.client-id", "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c",
                "connector.amocrm.client-secret", AMO_SECRET,
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback",
                "connector.bitrix24.client-id", "local.6650c1a2b3c4d5.12345678",
                "connector.bitrix24.client-secret", B24_SECRET,
                "connector.ops.token", OPS_TOKEN))) {
            String html = Http.get(server.getURL() + "/").body();
            assertTrue(html.contains("<code id=\"amocrm-redirect-uri\">https://connector.example.com/amocrm/oauth/callback</code>"), html);
            assertTrue(html.contains("<code id=\"bitrix24-install\">https://connector.example.com/bitrix24/install</code>"), html);
            assertFalse(html.contains("CONNECTOR_PUBLIC_URL is") || html.contains("AMOCRM_CLIENT_ID") || html.contains("BITRIX24_CLIENT_ID")
                    || html.contains("ENCRYPTION_KEY is not set") || html.contains("OPS_TOKEN is not set"), html);
            // The tests run on the embedded database, which the page rightly still names.
            assertTrue(html.contains("DATASOURCES_DEFAULT_URL is not set"), html);
            for (String secret : new String[] {AMO_SECRET, B24_SECRET, OPS_TOKEN, ENCRYPTION_KEY}) {
                assertFalse(html.contains(secret), "the page shows a secret");
            }
        }
    }

    @Test
    void aRedirectUriThatDiffersFromThePublicUrlIsPointedOut() {
        try (EmbeddedServer server = start(Map.of(
                "connector.public-url", "https://connector.example.com",
                "connector.amocrm.client-id", "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c",
                "connector.amocrm.client-secret", AMO_SECRET,
                "connector.amocrm.redirect-uri", "https://old.example.com/amocrm/oauth/callback"))) {
            String html = Http.get(server.getURL() + "/").body();
            assertTrue(html.contains("AMOCRM_REDIRECT_URI must be https://connector.example.com/amocrm/oauth/callback"), html);
        }
    }

    @Test
    void valuesAreEscaped() {
        String html = LandingPage.render(new LandingPage.Model("UP", "https://x.example/<script>", java.util.List.of("a <b> & \"c\"")));
        assertFalse(html.contains("<script>"), html);
        assertTrue(html.contains("https://x.example/&lt;script&gt;/amocrm/oauth/callback"), html);
        assertTrue(html.contains("a &lt;b&gt; &amp; &quot;c&quot;"), html);
    }

    private static EmbeddedServer start(Map<String, Object> properties) {
        return ApplicationContext.run(EmbeddedServer.class, properties, "test");
    }
}
