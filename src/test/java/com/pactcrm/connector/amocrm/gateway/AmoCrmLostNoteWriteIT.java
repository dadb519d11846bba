package com.pactcrm.connector.amocrm.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.crm.TimelineTexts;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.testsupport.AmoCrmFake;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A note write whose answer was lost is looked up before it is sent again. Meanwhile a newer status of the same message
 * may have replaced the command's payload (the outbox coalesces a message's statuses): the lookup then finds the
 * message's note showing the older status, and edits it instead of adding a second note (the field benchmark's case c
 * counted 18 such duplicates under 30 % faults when the lookup matched the exact text only).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmLostNoteWriteIT implements TestPropertyProvider {

    @RegisterExtension
    static final AmoCrmFake AMO = AmoCrmFake.start();

    @Inject
    TestInstallations installations;
    @Inject
    AmoCrmGateway gateway;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("test.crm-double", "false",
                "connector.amocrm.scheme", "http",
                "connector.amocrm.allowed-host-suffixes", "127.0.0.41:" + AMO.port());
    }

    @Test
    void aLostWriteWhoseMessageMovedOnIsFoundAndEditedNotWrittenTwice() {
        String host = "127.0.0.41:" + AMO.port();
        Installation installation = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{}");
        long lead = AMO.putLead(host, AMO.putContact(host, "Maria Souza", "+5511988881111", 777), 7100001);
        // The write whose answer was lost: the clock note is in the card.
        DeliveryResult lost = gateway.writeTimeline(installation, List.of(entry(lead, "SENT", false))).get(0);
        String clockNoteId = assertInstanceOf(DeliveryResult.Delivered.class, lost).remoteId();

        TimelineEntry delivered = entry(lead, "DELIVERED", true);
        DeliveryResult retried = gateway.writeTimeline(installation, List.of(delivered)).get(0);

        assertEquals(clockNoteId, assertInstanceOf(DeliveryResult.Delivered.class, retried).remoteId());
        List<AmoCrmFake.Note> notes = AMO.notes(host).stream().filter(n -> n.leadId() == lead).toList();
        assertEquals(1, notes.size(), "one note for the message: " + notes);
        assertEquals(TimelineTexts.textOf(delivered), notes.get(0).text(), "edited to the newer status");
    }

    @Test
    void aLostWriteOfAnotherMessageIsNotTakenForThisOne() {
        String host = "127.0.0.41:" + AMO.port();
        Installation installation = installations.amoCrmAt(host, TestInstallations.PACT_TOKEN, "{}");
        long lead = AMO.putLead(host, AMO.putContact(host, "Pedro Lima", "+5511977772222", 778), 7100001);
        gateway.writeTimeline(installation, List.of(entry(lead, 3_500_000_001L, "Bom dia", "SENT", false)));

        gateway.writeTimeline(installation, List.of(entry(lead, 3_500_000_002L, "Boa tarde", "DELIVERED", true)));

        assertEquals(2, AMO.notes(host).stream().filter(n -> n.leadId() == lead).count(), "two messages, two notes");
    }

    private static TimelineEntry entry(long lead, String status, boolean ambiguous) {
        return entry(lead, 3_500_000_000L, "Seu pedido saiu para entrega", status, ambiguous);
    }

    private static TimelineEntry entry(long lead, long messageId, String text, String status, boolean ambiguous) {
        return new TimelineEntry("lead", Long.toString(lead), null, new MessageStatusPayload(messageId, 2_073_572_500L,
                "lead", Long.toString(lead), status, null, null, text, Instant.parse("2026-12-06T06:00:00Z")), null, null,
                ambiguous);
    }
}
