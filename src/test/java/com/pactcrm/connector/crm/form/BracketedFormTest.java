package com.pactcrm.connector.crm.form;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one parser of PHP-bracketed form bodies, on both CRMs' captured hooks and on what neither sends. */
class BracketedFormTest {

    private static byte[] fixture(String path) {
        try (InputStream in = BracketedFormTest.class.getResourceAsStream("/fixtures/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BracketedForm parse(String body) {
        return BracketedForm.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Object at(Map<String, Object> tree, String... path) {
        Object node = tree;
        for (String segment : path) {
            node = ((Map<String, Object>) node).get(segment);
        }
        return node;
    }

    @Test
    void anAmoCrmNoteHookNestsEntityActionIndexAndNote() {
        Map<String, Object> tree = BracketedForm.parse(fixture("amocrm-webhooks/note-lead-common.txt")).tree();

        assertEquals(List.of("leads", "account"), List.copyOf(tree.keySet()));
        assertEquals("31926520", at(tree, "leads", "note", "0", "note", "element_id"));
        assertEquals("Клиент просит перезвонить после 18:00 & уточнить адрес", at(tree, "leads", "note", "0", "note", "text"),
                "percent-decoded UTF-8, + as a space, an encoded & inside a value");
        assertEquals("", at(tree, "leads", "note", "0", "note", "metadata"));
        assertEquals("https://acme.amocrm.ru", at(tree, "account", "_links", "self"));
    }

    @Test
    void aBitrix24EventIsReadByItsBracketedNames() {
        BracketedForm form = BracketedForm.parse(fixture("bitrix24/event-deal-update.txt"));

        assertEquals("ONCRMDEALUPDATE", form.get("event"));
        assertEquals("{{ID}}", form.get("data[FIELDS][ID]"));
        assertEquals("4f8d0c7e2b1a93d5e6f7081928374655", form.get("auth[member_id]"));
        assertEquals("crm,user,placement,event", form.get("auth[scope]"));
        assertEquals("acme.bitrix24.com.br", at(form.tree(), "auth", "domain"), "the same body nests like amoCRM's");
    }

    @Test
    void aBitrix24SenderCallAndAFrameAreReadTheSameWay() {
        BracketedForm sender = BracketedForm.parse(fixture("bitrix24/messageservice-send.txt"));
        assertEquals("+55 11 98765-4321", sender.get("message_to"));
        assertEquals("2", sender.get("bindings[0][OWNER_TYPE_ID]"));

        BracketedForm frame = parse("AUTH_ID=a1&member_id=4f8d&PLACEMENT=CRM_DEAL_DETAIL_TAB"
                + "&PLACEMENT_OPTIONS=%7B%22ID%22%3A%228061%22%7D&AUTH_EXPIRES=3600");
        assertEquals("{\"ID\":\"8061\"}", frame.get("PLACEMENT_OPTIONS"));
        assertEquals("a1", frame.get("AUTH_ID"));
    }

    @Test
    void anEmptyValueOrAMissingOneReadsAsAbsent() {
        BracketedForm form = parse("a=&b&c=1");
        assertNull(form.get("a"));
        assertNull(form.get("b"));
        assertNull(form.get("missing"));
        assertEquals("1", form.get("c"));
        assertEquals(Map.of("a", "", "b", "", "c", "1"), form.tree(), "the tree keeps empty values as they came");
    }

    @Test
    void aRepeatedNameKeepsItsLastValueAndEmptyBracketsAppendAsInPhp() {
        BracketedForm form = parse("a[x]=1&b=2&a[x]=3&list[]=p&list[]=q");

        assertEquals("3", form.get("a[x]"));
        assertEquals(Map.of("x", "3"), at(form.tree(), "a"));
        assertEquals(Map.of("0", "p", "1", "q"), at(form.tree(), "list"));
        assertEquals(List.of("a", "b", "list"), List.copyOf(form.tree().keySet()), "names in the order they first came");
    }

    @Test
    void withoutDropsTheNamedFieldsAndReEncodesTheRestOnceInFirstSeenOrder() {
        BracketedForm form = parse("event=X&auth%5Baccess_token%5D=secret&data[FIELDS][ID]=1&event=Y&note=a+b%26c");

        String kept = new String(form.without(Set.of("auth[access_token]")), StandardCharsets.UTF_8);

        assertEquals("event=Y&data%5BFIELDS%5D%5BID%5D=1&note=a+b%26c", kept);
        assertEquals("1", BracketedForm.parse(kept.getBytes(StandardCharsets.UTF_8)).get("data[FIELDS][ID]"));
    }

    @Test
    void anEmptyOrBlankBodyIsAFormWithoutFieldsAndHasNoTree() {
        for (byte[] body : new byte[][] {null, new byte[0], "  \n".getBytes(StandardCharsets.UTF_8), "&&".getBytes(StandardCharsets.UTF_8)}) {
            BracketedForm form = BracketedForm.parse(body);
            assertTrue(form.isEmpty());
            assertThrows(MalformedFormException.class, form::tree);
        }
    }

    @Test
    void brokenPercentEncodingIsMalformedInBothViews() {
        for (String body : List.of("leads[add][0][id]=%zz", "a=%", "%E0%A4%A=1")) {
            assertThrows(MalformedFormException.class, () -> parse(body), body);
        }
    }

    @Test
    void mangledBracketsAreAFieldNobodyAsksForButNoTree() {
        for (String body : List.of("leads[add][0][id=5", "[add][0][id]=5", "auth[[member_id=1",
                "a[b]x=1", "leads[add][0][id]=5&leads[add][0][id][x]=6", "a[b][c]=1&a[b]=2", "a=1&a[b]=2")) {
            BracketedForm form = parse(body);
            MalformedFormException e = assertThrows(MalformedFormException.class, form::tree, body);
            assertInstanceOf(UnprocessableEventException.class, e, "a journaled event with such a body is parked, not retried");
        }
        assertEquals("1", parse("auth[[member_id=1").get("auth[[member_id"));
    }

    @Test
    void aLongMangledNameIsQuotedOnlyInPart() {
        String name = "x[" + "y".repeat(500);
        MalformedFormException e = assertThrows(MalformedFormException.class, () -> parse(name + "=1").tree());
        assertTrue(e.getMessage().length() < 200, e.getMessage());
    }
}
