package com.pactcrm.connector.bitrix24.gateway;

import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.TimelineEntry;

/**
 * The words of the connector's timeline comments, in Portuguese like the amoCRM notes. Statuses carry the
 * meaning of Pact's icons (clock = queued, one tick = delivered, two ticks = read, error). Every comment starts
 * with {@link #MARKER}, so people (and the echo filter) see it is the connector's.
 */
public final class Bitrix24TimelineComments {

    public static final String MARKER = "Pact · ";
    private static final int MAX_QUOTE = 200;

    private Bitrix24TimelineComments() {
    }

    public static String textOf(TimelineEntry entry) {
        if (entry.status() != null) {
            return MARKER + status(entry.status());
        }
        if (entry.history() != null) {
            return MARKER + history(entry.history());
        }
        return MARKER + state(entry.state());
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
