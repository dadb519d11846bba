package com.pactcrm.connector.bitrix24.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.pactcrm.connector.bitrix24.Bitrix24Fake;
import com.pactcrm.connector.bitrix24.Bitrix24Callbacks;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The pure translation of journaled event bodies, on the fixtures as Bitrix24 posts them. */
class Bitrix24EventTranslatorTest {

    private static Bitrix24Event translate(String fixture, String id) {
        byte[] journaled = Bitrix24Callbacks.withoutSecrets(
                BracketedForm.parse(Bitrix24Fake.event(fixture, id).getBytes(StandardCharsets.UTF_8)));
        return Bitrix24EventTranslator.translate(journaled);
    }

    @Test
    void entityUpdatesNameTheEntityByItsCardType() {
        assertEquals(new Bitrix24Event.EntityUpdated("deal", "8061"), translate("deal-update", "8061"));
        assertEquals(new Bitrix24Event.EntityUpdated("contact", "9001"), translate("contact-update", "9001"));
        assertEquals(new Bitrix24Event.EntityUpdated("deal", "8061"), translate("deal-update-automation", "8061"),
                "an automation's event has no tokens but the same data");
    }

    @Test
    void aTimelineCommentCarriesTheCommentIdUnderFieldsOrAtTheTop() {
        assertEquals(new Bitrix24Event.CommentAdded("5123"), translate("timeline-comment-add", "5123"));
        assertEquals(new Bitrix24Event.CommentAdded("77"), Bitrix24EventTranslator.translate(
                "event=ONCRMTIMELINECOMMENTADD&data%5BID%5D=77&ts=1766047155".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void otherEventsAreIgnoredAndBrokenOnesUnprocessable() {
        assertInstanceOf(Bitrix24Event.Ignored.class, Bitrix24EventTranslator.translate(
                "event=ONCRMDEALADD&data%5BFIELDS%5D%5BID%5D=1".getBytes(StandardCharsets.UTF_8)));
        assertThrows(UnprocessableEventException.class, () -> translate("deal-update", "not-a-number"));
        assertThrows(UnprocessableEventException.class, () -> Bitrix24EventTranslator.translate(
                "data%5BFIELDS%5D%5BID%5D=1".getBytes(StandardCharsets.UTF_8)));
        assertThrows(UnprocessableEventException.class, () -> Bitrix24EventTranslator.translate(
                "event=ONCRMDEALUPDATE&data=%E0%A4%A".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theJournaledBodyKeepsTheEventButNoToken() {
        String journaled = new String(Bitrix24Callbacks.withoutSecrets(BracketedForm.parse(Bitrix24Fake.event("deal-update", "8061")
                .getBytes(StandardCharsets.UTF_8))), StandardCharsets.UTF_8);
        assertEquals(-1, journaled.indexOf("access_token"));
        assertEquals(-1, journaled.indexOf(Bitrix24Fake.APPLICATION_TOKEN));
        assertEquals(true, journaled.contains("auth%5Bmember_id%5D=" + Bitrix24Fake.MEMBER_ID));
    }
}
