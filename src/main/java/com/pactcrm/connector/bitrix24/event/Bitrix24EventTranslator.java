package com.pactcrm.connector.bitrix24.event;

import com.pactcrm.connector.crm.CrmEntityIds;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.crm.form.MalformedFormException;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.util.Locale;

/**
 * Pure translation of a journaled Bitrix24 event body (form-urlencoded, bracketed keys, bitrix24.md §3.2) into
 * a {@link Bitrix24Event}. Entity events carry {@code data[FIELDS][ID]}; the comment event's id is documented
 * as {@code data[ID]} in one place and sent as {@code data[FIELDS][ID]} by current portals, so both are read
 * (https://apidocs.bitrix24.com/api-reference/crm/timeline/comments/events/on-crm-timeline-comment-add.html).
 */
final class Bitrix24EventTranslator {

    private Bitrix24EventTranslator() {
    }

    static Bitrix24Event translate(byte[] body) {
        BracketedForm form;
        try {
            form = BracketedForm.parse(body);
        } catch (MalformedFormException e) {
            throw new UnprocessableEventException("Bitrix24 event body is not form-urlencoded");
        }
        String event = form.get("event");
        if (event == null && form.get("event_token") != null) {
            return robot(form);
        }
        if (event == null) {
            throw new UnprocessableEventException("Bitrix24 event body has no event name");
        }
        String name = event.toUpperCase(Locale.ROOT);
        return switch (name) {
            case "ONCRMLEADUPDATE" -> new Bitrix24Event.EntityUpdated("lead", id(form, name, "data[FIELDS][ID]"));
            case "ONCRMDEALUPDATE" -> new Bitrix24Event.EntityUpdated("deal", id(form, name, "data[FIELDS][ID]"));
            case "ONCRMCONTACTUPDATE" -> new Bitrix24Event.EntityUpdated("contact", id(form, name, "data[FIELDS][ID]"));
            case "ONCRMTIMELINECOMMENTADD" -> new Bitrix24Event.CommentAdded(
                    id(form, name, form.get("data[FIELDS][ID]") != null ? "data[FIELDS][ID]" : "data[ID]"));
            default -> new Bitrix24Event.Ignored("Bitrix24 " + name + " is not followed");
        };
    }

    private static final java.util.regex.Pattern DOCUMENT = java.util.regex.Pattern.compile("(LEAD|DEAL|CONTACT)_(\\d{1,20})");

    /**
     * A robot's call (bizproc.robot.add handler; apidocs.bitrix24.com api-reference/bizproc/bizproc-robot/): {@code code},
     * {@code event_token}, {@code document_id[2]} ("DEAL_12") and {@code properties[...]} as the workflow filled them.
     */
    private static Bitrix24Event robot(BracketedForm form) {
        java.util.regex.Matcher m = DOCUMENT.matcher(String.valueOf(form.get("document_id[2]")));
        if (!m.matches() || !CrmEntityIds.valid(m.group(2))) {
            throw new UnprocessableEventException("robot call without a lead, deal or contact document");
        }
        String waba = form.get("properties[waba_id]");
        Long wabaId = waba != null && waba.strip().matches("\\d{1,18}") ? Long.valueOf(waba.strip()) : null;
        java.util.List<String> substitutions = new java.util.ArrayList<>();
        for (int i = 0; form.get("properties[substitutions][" + i + "]") != null; i++) {
            substitutions.add(form.get("properties[substitutions][" + i + "]"));
        }
        return new Bitrix24Event.RobotTriggered(form.get("event_token"), m.group(1).toLowerCase(Locale.ROOT), m.group(2),
                form.get("properties[text]"), wabaId, substitutions);
    }

    private static String id(BracketedForm form, String event, String key) {
        String id = form.get(key);
        if (!CrmEntityIds.valid(id)) {
            throw new UnprocessableEventException(event + " without a positive 64-bit " + key);
        }
        return id;
    }
}
