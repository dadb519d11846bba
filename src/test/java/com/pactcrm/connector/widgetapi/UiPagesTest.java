package com.pactcrm.connector.widgetapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.Http;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
class UiPagesTest {

    @Inject
    EmbeddedServer server;

    @Test
    void theCardAndSettingsPagesAreServedForFramingByTheCrmOnly() {
        for (String page : new String[] {"card", "settings"}) {
            HttpResponse<String> response = Http.get(server.getURL() + "/ui/" + page + "?entityType=lead&entityId=1");
            assertEquals(200, response.statusCode());
            assertTrue(response.body().contains("/ui/assets/session.js"), response.body());
            assertTrue(response.headers().firstValue("Content-Security-Policy").orElse("").contains("https://*.amocrm.ru"));
        }
        HttpResponse<String> script = Http.get(server.getURL() + "/ui/assets/card.js");
        assertEquals(200, script.statusCode());
        assertTrue(script.body().contains("/api/v1/chats"));
        assertEquals(404, Http.get(server.getURL() + "/ui/admin").statusCode());
    }
}
