package com.pactcrm.connector.amocrm.automation;

import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The connector's digital-pipeline action as amoCRM posts it to the widget's {@code dp.webhook_url} (amocrm.md §6.2;
 * amocrm.com/developers/content/digital_pipeline/integrations): form-urlencoded like account webhooks, with
 * {@code event[type_code]}, {@code event[data][id]} (the lead), {@code event[data][element_type]} (2 = lead),
 * {@code event[time]}, and the action's settings under {@code action[settings][widget][settings]}: {@code key} (the
 * installation's key, filled in by the widget), {@code text}, or {@code waba_id} and {@code substitutions} (one a line).
 *
 * @param trigger what identifies one firing of the action on one lead (type, lead, time): its request id
 */
public record AmoCrmDigitalPipelineAction(String key, String accountId, String leadId, String trigger, String text,
                                          Long wabaId, List<String> substitutions) {

    /** Whether the form is a digital-pipeline call rather than an account webhook. */
    public static boolean isAction(Map<String, Object> form) {
        return form.get("event") instanceof Map<?, ?> event && event.get("data") instanceof Map<?, ?>
                && form.get("action") instanceof Map<?, ?>;
    }

    public static AmoCrmDigitalPipelineAction of(byte[] body) {
        Map<String, Object> form = BracketedForm.parse(body).tree();
        if (!isAction(form)) {
            throw new UnprocessableEventException("not a digital-pipeline action");
        }
        Map<?, ?> event = (Map<?, ?>) form.get("event");
        Map<?, ?> data = (Map<?, ?>) event.get("data");
        String leadId = text(data.get("id"));
        if (leadId == null || !leadId.matches("\\d{1,18}") || !"2".equals(String.valueOf(data.get("element_type")))) {
            throw new UnprocessableEventException("digital-pipeline action without a lead");
        }
        Map<?, ?> settings = map(map(map(form.get("action")).get("settings")).get("widget")).get("settings") instanceof Map<?, ?> m
                ? m : Map.of();
        String waba = text(settings.get("waba_id"));
        List<String> substitutions = new ArrayList<>();
        String subs = text(settings.get("substitutions"));
        if (subs != null) {
            for (String line : subs.split("\\r?\\n")) {
                if (!line.isBlank()) {
                    substitutions.add(line.strip());
                }
            }
        }
        String account = form.get("account") instanceof Map<?, ?> a ? text(a.get("id")) : text(form.get("account_id"));
        String trigger = "dp:" + text(event.get("type_code")) + ":" + text(event.get("type")) + ":" + leadId + ":"
                + text(event.get("time"));
        return new AmoCrmDigitalPipelineAction(text(settings.get("key")), account, leadId, trigger, text(settings.get("text")),
                waba != null && waba.strip().matches("\\d{1,18}") ? Long.valueOf(waba.strip()) : null, substitutions);
    }

    private static Map<?, ?> map(Object o) {
        return o instanceof Map<?, ?> m ? m : Map.of();
    }

    private static String text(Object o) {
        return o == null ? null : o.toString();
    }
}
