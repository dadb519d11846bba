package com.pactcrm.connector.widgetapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.Http;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
class UiPagesIT {

    @Inject
    EmbeddedServer server;

    @Test
    void theCardAndSettingsPagesAreServedForFramingByTheCrmOnly() {
        for (String page : new String[] {"card", "settings"}) {
            HttpResponse<String> response = Http.get(server.getURL() + "/ui/" + page + "?entityType=lead&entityId=1");
            assertEquals(200, response.statusCode());
            assertTrue(response.body().contains("/ui/assets/session.js"), response.body());
            String policy = response.headers().firstValue("Content-Security-Policy").orElse("");
            assertTrue(policy.contains("script-src 'self';") && policy.contains("default-src 'self';")
                    && policy.contains("object-src 'none';") && policy.contains("base-uri 'none';"), policy);
            assertTrue(policy.endsWith("frame-ancestors 'self' https://*.amocrm.ru https://*.amocrm.com https://*.kommo.com"),
                    policy);
            assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(""));
            assertFalse(response.body().matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), "no inline script: the policy forbids it");
        }
        // A Bitrix24 portal is named only when installed (Bitrix24FlowIT opens the page for one).
        HttpResponse<String> unknown = Http.get(server.getURL() + "/ui/card?entityType=deal&entityId=1&portal=ffffffffffffffffffffffffffffffff");
        assertEquals(404, unknown.statusCode());
        assertEquals("application/problem+json", unknown.headers().firstValue("Content-Type").orElse(""));
        assertEquals(400, Http.get(server.getURL() + "/ui/settings?portal=evil.example.com").statusCode());
        HttpResponse<String> script = Http.get(server.getURL() + "/ui/assets/card.js");
        assertEquals(200, script.statusCode());
        assertTrue(script.body().contains("/api/v1/chats"));
        assertEquals("nosniff", script.headers().firstValue("X-Content-Type-Options").orElse(""));
        assertEquals(404, Http.get(server.getURL() + "/ui/admin").statusCode());
    }
}
