package com.pactcrm.connector.amocrm.install;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The webhook watch against a WireMock amoCRM whose webhook list says our hook is on, off or gone. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmMaintenanceIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();

    @Inject
    AmoCrmMaintenance maintenance;
    @Inject
    InstallationRepository installations;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.amocrm.scheme", "http", "connector.public-url", "https://connector.example.com",
                "connector.amocrm.maintenance.enabled", "true",
                "connector.amocrm.maintenance.webhook-check-every", "1h",
                "connector.amocrm.maintenance.refresh-every", "1h");
    }

    @BeforeEach
    void reset() {
        AMO.resetAll();
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson("{\"id\":1124,\"destination\":\"x\","
                + "\"settings\":[\"responsible_lead\"],\"disabled\":false,\"sort\":1,\"account_id\":1,\"created_at\":1,\"updated_at\":1}")));
    }

    private Installation installation() {
        String account = Long.toString(System.nanoTime() % 90_000_000L + 10_000_000L);
        return installations.save(new Installation(null, CrmKind.AMOCRM, account, "127.0.0.1:" + AMO.port(),
                InstallationStatus.ACTIVE, HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt("amo-access-token-0001"),
                cipher.encrypt("amo-refresh-token-0001"), Instant.now().plus(20, ChronoUnit.HOURS), null, null, null, null, null,
                null, null, null));
    }

    private void listAnswers(Installation installation, boolean disabled) {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson("{\"_total_items\":1,\"_embedded\":{\"webhooks\":[{"
                + "\"id\":1123,\"destination\":\"https://connector.example.com/amocrm/webhooks/" + installation.hookKey() + "\","
                + "\"created_at\":1763634600,\"updated_at\":1763634600,\"account_id\":" + installation.crmAccountId() + ","
                + "\"created_by\":8214877,\"sort\":1,\"disabled\":" + disabled + ",\"settings\":[\"responsible_lead\",\"note_lead\"]}]}}")));
    }

    @Test
    void aWebhookAmoCrmSwitchedOffIsSwitchedOnAgainAndReportedInHealth() {
        Installation installation = installation();
        listAnswers(installation, true);
        assertTrue(maintenance.checkWebhook(installation));
        AMO.verify(1, postRequestedFor(urlPathEqualTo("/api/v4/webhooks")));
        assertEquals("RE_ENABLED", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'CRM_WEBHOOK'", installation.id()).get("state"));
    }

    @Test
    void anActiveWebhookIsLeftAlone() {
        Installation installation = installation();
        listAnswers(installation, false);
        assertFalse(maintenance.checkWebhook(installation));
        AMO.verify(0, postRequestedFor(urlPathEqualTo("/api/v4/webhooks")));
    }
}
