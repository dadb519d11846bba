package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.bitrix24.gateway.Bitrix24Gateway;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Token refresh only after 401 expired_token, serialised per portal; refused refreshes; a renamed portal. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24TokenIT extends Bitrix24TestBase {

    @Inject
    Bitrix24Gateway gateway;
    @Inject
    Bitrix24TokenService tokens;

    @BeforeEach
    void freshPortal() {
        b24.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        b24.putDeal("8061", "9001", "7");
        b24.putContact("9001", "+55 11 98765-4321");
    }

    @Test
    void anExpiredTokenIsRefreshedExactlyOnceWhateverTheNumberOfConcurrentCallers() throws Exception {
        Installation installation = installWithPact();
        int refreshesAfterInstall = b24.refreshCount();
        assertTrue(gateway.entity(installation, "deal", "8061").isPresent());
        assertEquals(refreshesAfterInstall, b24.refreshCount(), "a valid token is never refreshed ahead of time");
        b24.expireAccessTokens();

        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<CrmEntity>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                Callable<CrmEntity> read = () -> gateway.entity(installation(), "deal", "8061").orElseThrow();
                results.add(pool.submit(read));
            }
            for (Future<CrmEntity> r : results) {
                CrmEntity deal = r.get();
                assertEquals("Pedido 1042", deal.name());
                assertEquals(List.of("5511987654321"), deal.phones());
            }
        } finally {
            pool.shutdown();
        }

        assertEquals(refreshesAfterInstall + 1, b24.refreshCount(), "one refresh for eight callers");
        assertEquals(b24.currentRefreshToken(), cipher.decrypt(installation().refreshTokenEnc()),
                "the rotated refresh token is the one stored");
    }

    @Test
    void invalidGrantMarksTheInstallationReauthRequired() {
        Installation installation = installWithPact();
        b24.expireAccessTokens();
        b24.refuseRefresh("invalid_grant");

        OutboundCallException e = assertThrows(OutboundCallException.class, () -> gateway.entity(installation, "deal", "8061"));

        assertEquals(OutboundCallException.Disposition.HEALTH, e.disposition());
        assertEquals(InstallationStatus.REAUTH_REQUIRED, installation().status());
        assertEquals("REAUTH_REQUIRED", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'CRM_TOKEN'", installation.id()).get("state"));
    }

    @Test
    void paymentRequiredBecomesAHealthStateWithoutARetryLoop() {
        Installation installation = installWithPact();
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8061')", installation.id());
        int refreshesAfterInstall = b24.refreshCount();
        b24.expireAccessTokens();
        b24.refuseRefresh("PAYMENT_REQUIRED");

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.fixture("message-create-outgoing"));

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? "
                + "AND kind = 'CRM_MESSAGE_STATUS' AND state = 'DEAD'", installation.id()) == 1);
        assertEquals("PAYMENT_REQUIRED", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'CRM_BILLING'", installation.id()).get("state"));
        assertEquals(refreshesAfterInstall + 1, b24.refreshCount(), "refused once, not retried");
        assertEquals(InstallationStatus.ACTIVE, installation().status());

        b24.refuseRefresh(null);
        assertEquals(200, installFrame(Bitrix24Fake.MEMBER_ID).statusCode(), "paid and installed again");
        await().atMost(Duration.ofSeconds(20)).until(() -> b24.comments("deal", "8061").size() == 1);
        assertEquals("OK", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'CRM_BILLING'", installation.id()).get("state"));
    }

    @Test
    void onlyIdlePortalsAreRefreshedByTheKeepAlive() {
        Installation installation = installWithPact();
        int refreshesAfterInstall = b24.refreshCount();

        assertEquals(0, tokens.refreshIdle(Duration.ofDays(7)), "a portal refreshed just now is left alone");
        sql.update("UPDATE installation SET token_expires_at = NOW(3) - INTERVAL 8 DAY WHERE id = ?", installation.id());
        assertEquals(1, tokens.refreshIdle(Duration.ofDays(7)));

        assertEquals(refreshesAfterInstall + 1, b24.refreshCount());
        assertEquals(b24.currentRefreshToken(), cipher.decrypt(installation().refreshTokenEnc()));
        assertTrue(gateway.entity(installation(), "deal", "8061").isPresent(), "the new access token works");
    }

    @Test
    void aRenamedPortalIsFollowedWithItsParametersAndTheNewDomainIsStored() {
        Installation installation = installWithPact();
        b24.rename();

        CrmEntity deal = gateway.entity(installation, "deal", "8061").orElseThrow();

        assertEquals("Pedido 1042", deal.name(), "the re-sent POST kept its parameters");
        assertEquals(b24.renamedHost(), installation().crmHost());
        assertTrue(b24.calls("crm.item.get").stream().anyMatch(c -> c.status() == 302 && c.host().startsWith("127.0.0.1")));
        assertTrue(b24.calls("crm.item.get").stream().anyMatch(c -> c.status() == 200 && c.host().startsWith("localhost")));
        int redirects = (int) b24.calls().stream().filter(c -> c.status() == 302).count();
        gateway.entity(installation(), "deal", "8061");
        assertEquals(redirects, (int) b24.calls().stream().filter(c -> c.status() == 302).count(),
                "later calls go to the new domain directly");
    }
}
