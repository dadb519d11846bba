package com.pactcrm.connector.amocrm.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.crm.event.CrmEntityType;
import com.pactcrm.connector.crm.event.CrmEvent;
import com.pactcrm.connector.crm.event.CrmEvent.Ignored;
import com.pactcrm.connector.crm.event.CrmEvent.NoteAdded;
import com.pactcrm.connector.crm.event.CrmEvent.ResponsibleChanged;
import com.pactcrm.connector.crm.event.NoteKind;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AmoCrmWebhookTranslatorTest {

    private static byte[] fixture(String name) {
        try (InputStream in = AmoCrmWebhookTranslatorTest.class.getResourceAsStream("/fixtures/amocrm-webhooks/" + name + ".txt")) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static AmoCrmWebhook translate(String fixture) {
        return AmoCrmWebhookTranslator.translate(fixture(fixture));
    }

    private static AmoCrmWebhook translateText(String body) {
        return AmoCrmWebhookTranslator.translate(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void responsibleChangeCarriesNewAndOldResponsibleAndTheAccount() {
        AmoCrmWebhook hook = translate("responsible-lead");
        assertEquals("29138932", hook.accountId());
        assertEquals("acme", hook.subdomain());
        assertTrue(hook.isFromAccount("29138932"));
        assertFalse(hook.isFromAccount("29138933"));
        ResponsibleChanged r = assertInstanceOf(ResponsibleChanged.class, single(hook));
        assertEquals(CrmEntityType.LEAD, r.entityType());
        assertEquals("31926520", r.entityId());
        assertEquals("938348", r.responsibleUserId());
        assertEquals("102525", r.oldResponsibleUserId());
        assertEquals("102525", r.modifiedByUserId());
        assertEquals(Instant.ofEpochSecond(1763634600), r.at());
    }

    @Test
    void commonNoteOnALeadIsAPersonsNoteWithItsTextDecoded() {
        NoteAdded n = assertInstanceOf(NoteAdded.class, single(translate("note-lead-common")));
        assertEquals(CrmEntityType.LEAD, n.entityType());
        assertEquals("31926520", n.entityId());
        assertEquals("188231145", n.noteId());
        assertEquals("4", n.noteType());
        assertEquals(NoteKind.COMMON, n.kind());
        assertEquals("Клиент просит перезвонить после 18:00 & уточнить адрес", n.text());
        assertEquals("938348", n.authorUserId());
        assertFalse(n.createdByIntegration());
        assertTrue(n.writtenByPerson());
        assertEquals(Instant.ofEpochSecond(1763635200), n.at());
    }

    @Test
    void serviceAndCallNotesAreNotPersonsNotes() {
        List<CrmEvent> events = translate("note-contact-service").events();
        assertEquals(2, events.size());
        NoteAdded service = assertInstanceOf(NoteAdded.class, events.get(0));
        assertEquals(CrmEntityType.CONTACT, service.entityType());
        assertEquals("40512877", service.entityId());
        assertEquals(NoteKind.SERVICE, service.kind());
        assertEquals("Pact", service.serviceName());
        assertEquals("Сообщение доставлено 20.11.2026 10:31", service.text());
        assertEquals("0", service.authorUserId());
        assertFalse(service.writtenByPerson());
        NoteAdded call = assertInstanceOf(NoteAdded.class, events.get(1));
        assertEquals(NoteKind.CALL, call.kind());
        assertNull(call.serviceName());
        assertFalse(call.writtenByPerson());
    }

    @Test
    void ourOwnServiceNotesAreRecognisedByServiceName() {
        AmoCrmNoteOrigin ours = new AmoCrmNoteOrigin(Set.of(), Set.of("pact"));
        NoteAdded service = assertInstanceOf(NoteAdded.class,
                AmoCrmWebhookTranslator.translate(fixture("note-contact-service"), ours).events().get(0));
        assertTrue(service.createdByIntegration());
        NoteAdded withoutRule = assertInstanceOf(NoteAdded.class, translate("note-contact-service").events().get(0));
        assertFalse(withoutRule.createdByIntegration());
    }

    @Test
    void ourOwnCommonNotesAreRecognisedByAuthorWhenConfigured() {
        AmoCrmNoteOrigin ours = new AmoCrmNoteOrigin(Set.of("938348"), Set.of());
        NoteAdded n = assertInstanceOf(NoteAdded.class,
                AmoCrmWebhookTranslator.translate(fixture("note-lead-common"), ours).events().get(0));
        assertEquals(NoteKind.COMMON, n.kind());
        assertTrue(n.createdByIntegration());
        assertFalse(n.writtenByPerson());
    }

    @Test
    void serviceNameIsReadFromParamsWhenTextIsPlain() {
        NoteAdded n = assertInstanceOf(NoteAdded.class, single(translateText(
                "leads[note][0][note][id]=5&leads[note][0][note][element_id]=7&leads[note][0][note][note_type]=service_message"
                        + "&leads[note][0][note][text]=delivered&leads[note][0][note][params][service]=Pact&account[id]=1")));
        assertEquals(NoteKind.SERVICE, n.kind());
        assertEquals("delivered", n.text());
        assertTrue(AmoCrmWebhookTranslator.translate(
                ("leads[note][0][note][id]=5&leads[note][0][note][element_id]=7&leads[note][0][note][note_type]=25"
                        + "&leads[note][0][note][text]=x&leads[note][0][note][params][service]=PACT&account[id]=1")
                        .getBytes(StandardCharsets.UTF_8), new AmoCrmNoteOrigin(Set.of(), Set.of("Pact")))
                .events().get(0) instanceof NoteAdded a && a.createdByIntegration());
    }

    @Test
    void aFlatNoteWithoutTheExtraNestingIsReadTheSameWay() {
        NoteAdded n = assertInstanceOf(NoteAdded.class, single(translateText(
                "leads[note][0][id]=5&leads[note][0][element_id]=7&leads[note][0][element_type]=2&leads[note][0][note_type]=4"
                        + "&leads[note][0][text]=hi&leads[note][0][created_by]=3&account[id]=1")));
        assertEquals("7", n.entityId());
        assertEquals("hi", n.text());
        assertTrue(n.writtenByPerson());
    }

    @Test
    void aNoteUnderContactsOnACompanyIsACompanyNote() {
        NoteAdded byElementType = assertInstanceOf(NoteAdded.class, single(translateText(
                "contacts[note][0][note][id]=5&contacts[note][0][note][element_id]=7&contacts[note][0][note][element_type]=3"
                        + "&contacts[note][0][note][note_type]=4&account[id]=1")));
        assertEquals(CrmEntityType.COMPANY, byElementType.entityType());
        NoteAdded byType = assertInstanceOf(NoteAdded.class, single(translateText(
                "contacts[note][0][type]=company&contacts[note][0][note][id]=5&contacts[note][0][note][element_id]=7"
                        + "&contacts[note][0][note][note_type]=4&account[id]=1")));
        assertEquals(CrmEntityType.COMPANY, byType.entityType());
    }

    @Test
    void aResponsibleChangeUnderContactsOnACompanyIsACompanys() {
        ResponsibleChanged r = assertInstanceOf(ResponsibleChanged.class, single(translateText(
                "contacts[responsible][0][id]=40512990&contacts[responsible][0][type]=company"
                        + "&contacts[responsible][0][responsible_user_id]=938348&account[id]=1")));
        assertEquals(CrmEntityType.COMPANY, r.entityType());
        assertEquals("40512990", r.entityId());
    }

    @Test
    void lifeCycleActionsFromAnEarlierSubscriptionAreOneIgnoredEventPerActionInOrder() {
        List<CrmEvent> events = translate("multi-entity").events();
        assertEquals(List.of(new Ignored("amoCRM leads[add] x2"), new Ignored("amoCRM leads[status] x1"),
                new Ignored("amoCRM contacts[add] x1"), new Ignored("amoCRM unsorted[add] x1")), events);
        assertEquals(List.of(new Ignored("amoCRM leads[delete] x2")), translate("lead-delete").events());
        assertEquals(List.of(new Ignored("amoCRM contacts[update] x1")), translate("company-update").events());
        assertEquals(List.of(new Ignored("amoCRM leads[restore] x1")),
                translateText("leads[restore][0][id]=not-read&account[id]=1").events(), "the items are not read");
    }

    @Test
    void everyFollowedEntityAndActionOfAMultiEntityBodyBecomesAnEventInOrder() {
        List<CrmEvent> events = translateText("leads[update][0][id]=1&contacts[note][0][note][element_id]=7"
                + "&contacts[note][0][note][note_type]=4&leads[responsible][0][id]=5"
                + "&leads[responsible][0][responsible_user_id]=9&account[id]=1").events();
        assertEquals(3, events.size(), events.toString());
        assertEquals(new Ignored("amoCRM leads[update] x1"), events.get(0));
        assertEquals("5", assertInstanceOf(ResponsibleChanged.class, events.get(1)).entityId(), "entities in first-seen order");
        assertEquals("7", assertInstanceOf(NoteAdded.class, events.get(2)).entityId());
    }

    @Test
    void itemsFollowTheirIndexNotTheirPositionInTheBody() {
        StringBuilder body = new StringBuilder("account[id]=1");
        for (int i = 11; i >= 0; i--) {
            body.append("&leads[responsible][").append(i).append("][id]=").append(100 + i)
                    .append("&leads[responsible][").append(i).append("][responsible_user_id]=9");
        }
        List<CrmEvent> events = translateText(body.toString()).events();
        assertEquals(12, events.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(String.valueOf(100 + i), ((ResponsibleChanged) events.get(i)).entityId());
        }
    }

    @Test
    void unencodedBracketsAsInTheDocsExampleParseTheSame() {
        ResponsibleChanged r = assertInstanceOf(ResponsibleChanged.class, single(translateText(
                "leads[responsible][0][id]=31926520&leads[responsible][0][responsible_user_id]=938348"
                        + "&leads[responsible][0][old_responsible_user_id]=102525&account[subdomain]=acme&account[id]=29138932")));
        assertEquals("938348", r.responsibleUserId());
        assertNull(r.at());
    }

    @Test
    void aBodyWithoutAccountIdStillTranslatesButMatchesNoAccount() {
        AmoCrmWebhook hook = translateText("leads[delete][0][id]=5");
        assertNull(hook.accountId());
        assertFalse(hook.isFromAccount("5"));
        assertEquals(1, hook.events().size());
    }

    @Test
    void anAccountOnlyBodyHasNoEvents() {
        assertEquals(List.of(), translateText("account[id]=1&account[subdomain]=acme").events());
    }

    @Test
    void unknownActionsAndEntitiesAreIgnoredNotRejected() {
        List<CrmEvent> events = translateText("leads[merge][0][id]=1&tasks[add][0][id]=2&account[id]=1").events();
        assertEquals(2, events.size());
        events.forEach(e -> assertInstanceOf(Ignored.class, e));
    }

    @Test
    void formBodyIsParsedIntoNestedGroupsInBodyOrder() {
        Map<String, Object> form = BracketedForm.parse(fixture("note-lead-common")).tree();
        assertEquals(List.of("leads", "account"), List.copyOf(form.keySet()));
        @SuppressWarnings("unchecked")
        Map<String, Object> note = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                form.get("leads")).get("note")).get("0")).get("note");
        assertEquals("4", note.get("note_type"));
        assertEquals("", note.get("metadata"));
    }

    @Test
    void malformedBodiesAreUnprocessable() {
        for (String body : List.of(
                "",
                "   ",
                "{\"leads\":{\"add\":[{\"id\":1}]}}",
                "leads[add][0][id]=%zz",
                "leads[add][0][id=5&account[id]=1",
                "[add][0][id]=5&account[id]=1",
                "leads=5&account[id]=1",
                "leads[add]=5&account[id]=1",
                "leads[responsible][0]=5&account[id]=1",
                "leads[add][0][id]=5&leads[add][0][id][x]=6&account[id]=1",
                "leads[responsible][0][responsible_user_id]=9&account[id]=1",
                "leads[responsible][0][id]=abc&leads[responsible][0][responsible_user_id]=9&account[id]=1",
                "leads[responsible][0][id]=5&account[id]=1",
                "leads[note][0][note][text]=no-element&account[id]=1",
                "leads[delete][0][id]=5&account[id]=acme")) {
            assertThrows(UnprocessableEventException.class,
                    () -> AmoCrmWebhookTranslator.translate(body.getBytes(StandardCharsets.UTF_8)), body);
        }
        assertThrows(UnprocessableEventException.class, () -> AmoCrmWebhookTranslator.translate(null));
    }

    private static CrmEvent single(AmoCrmWebhook hook) {
        assertEquals(1, hook.events().size(), hook.events().toString());
        return hook.events().get(0);
    }
}
