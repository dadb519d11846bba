package com.pactcrm.connector.crm;

import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;

/**
 * The words a CRM card's timeline shows for Pact (amoCRM notes, Bitrix24 timeline comments), in
 * Portuguese, the market's language. Statuses carry the meaning of Pact's icons from its help page:
 * clock = queued, one tick = delivered, two ticks = read, error with its reason.
 */
public final class TimelineTexts {

    private static final int MAX_QUOTE = 200;

    private TimelineTexts() {
    }

    public static String textOf(TimelineEntry entry) {
        if (entry.status() != null) {
            return status(entry.status());
        }
        if (entry.history() != null) {
            return history(entry.history());
        }
        return state(entry.state());
    }

    private static String status(MessageStatusPayload s) {
        String meaning = switch (s.status()) {
            case "SENT" -> "🕓 na fila, aguardando o mensageiro";
            case "DELIVERED" -> "✓ entregue";
            case "READ" -> "✓✓ lida";
            case "ERROR" -> "⚠ erro" + (s.details() == null ? "" : ": " + s.details());
            default -> s.status().toLowerCase();
        };
        return "Mensagem " + quote(s.text()) + " — " + meaning;
    }

    private static String history(MessageHistoryPayload h) {
        return (h.income() ? "Cliente" : "Operador" + (h.author() == null ? "" : " " + h.author())) + ": " + quote(h.text());
    }

    private static String state(ConversationStatePayload c) {
        if ("blocked".equals(c.operationalState())) {
            return "⚠ Cliente bloqueado: a conversa foi apagada no Pact";
        }
        if ("archived".equals(c.operationalState())) {
            return "Conversa arquivada no Pact";
        }
        return "Conversa sem resposta no Pact";
    }

    private static String quote(String text) {
        if (text == null || text.isBlank()) {
            return "(anexo)";
        }
        String t = text.strip();
        return "“" + (t.length() > MAX_QUOTE ? t.substring(0, MAX_QUOTE - 1) + "…" : t) + "”";
    }
}
