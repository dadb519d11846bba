package com.pactcrm.connector.crm;

import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.CrmPayloads.TaskPayload;
import java.util.Map;
import java.util.function.Function;

/**
 * The words a CRM card's timeline shows for Pact (amoCRM notes, Bitrix24 timeline comments) and the tasks the connector
 * opens, in the installation's language: pt (the market's, and the default), en, ru or es. Statuses carry the meaning
 * of Pact's icons from its help page: clock = queued, one tick = delivered, two ticks = read, error with its reason.
 * The status words of one message differ only after its quoted text, which the Bitrix24 lookup of a lost write relies
 * on ({@code Bitrix24TimelineComments#messagePrefix}).
 */
public final class TimelineTexts {

    public static final String DEFAULT_LANGUAGE = "pt";
    private static final int MAX_QUOTE = 200;

    /** One language's words, by key. */
    private static final Map<String, Map<String, String>> WORDS = Map.of(
            "pt", Map.ofEntries(
                    Map.entry("message", "Mensagem"), Map.entry("queued", "🕓 na fila, aguardando o mensageiro"),
                    Map.entry("delivered", "✓ entregue"), Map.entry("read", "✓✓ lida"), Map.entry("error", "⚠ erro"),
                    Map.entry("client", "Cliente"), Map.entry("operator", "Operador"), Map.entry("attachment", "(anexo)"),
                    Map.entry("blocked", "⚠ Cliente bloqueado: a conversa foi apagada no Pact"),
                    Map.entry("archived", "Conversa arquivada no Pact"), Map.entry("unreplied", "Conversa sem resposta no Pact"),
                    Map.entry("task", "Responder ao cliente no Pact"), Map.entry("taskDone", "Respondido no Pact")),
            "en", Map.ofEntries(
                    Map.entry("message", "Message"), Map.entry("queued", "🕓 queued, waiting for the messenger"),
                    Map.entry("delivered", "✓ delivered"), Map.entry("read", "✓✓ read"), Map.entry("error", "⚠ error"),
                    Map.entry("client", "Client"), Map.entry("operator", "Operator"), Map.entry("attachment", "(attachment)"),
                    Map.entry("blocked", "⚠ Client blocked: the conversation was deleted in Pact"),
                    Map.entry("archived", "Conversation archived in Pact"),
                    Map.entry("unreplied", "Conversation unanswered in Pact"),
                    Map.entry("task", "Reply to the client in Pact"), Map.entry("taskDone", "Answered in Pact")),
            "ru", Map.ofEntries(
                    Map.entry("message", "Сообщение"), Map.entry("queued", "🕓 в очереди, ждёт мессенджер"),
                    Map.entry("delivered", "✓ доставлено"), Map.entry("read", "✓✓ прочитано"), Map.entry("error", "⚠ ошибка"),
                    Map.entry("client", "Клиент"), Map.entry("operator", "Оператор"), Map.entry("attachment", "(вложение)"),
                    Map.entry("blocked", "⚠ Клиент заблокирован: диалог удалён в Pact"),
                    Map.entry("archived", "Диалог перенесён в архив в Pact"),
                    Map.entry("unreplied", "Диалог без ответа в Pact"),
                    Map.entry("task", "Ответить клиенту в Pact"), Map.entry("taskDone", "Ответ дан в Pact")),
            "es", Map.ofEntries(
                    Map.entry("message", "Mensaje"), Map.entry("queued", "🕓 en cola, esperando al mensajero"),
                    Map.entry("delivered", "✓ entregado"), Map.entry("read", "✓✓ leído"), Map.entry("error", "⚠ error"),
                    Map.entry("client", "Cliente"), Map.entry("operator", "Operador"), Map.entry("attachment", "(adjunto)"),
                    Map.entry("blocked", "⚠ Cliente bloqueado: la conversación se eliminó en Pact"),
                    Map.entry("archived", "Conversación archivada en Pact"),
                    Map.entry("unreplied", "Conversación sin respuesta en Pact"),
                    Map.entry("task", "Responder al cliente en Pact"), Map.entry("taskDone", "Respondido en Pact")));

    private TimelineTexts() {
    }

    public static String textOf(TimelineEntry entry) {
        Map<String, String> w = words(entry.language());
        if (entry.status() != null) {
            return status(entry.status(), w);
        }
        if (entry.history() != null) {
            return history(entry.history(), w);
        }
        return state(entry.state(), w);
    }

    /**
     * What every status text of the entry's message starts with, whatever its status, as {@code render} writes it: the
     * words naming the message, up to where the status words begin. Derived from two statuses' texts rather than from
     * the wording, so a change of words can only make it longer (stricter), never match more. A lost write is looked
     * up by it: the command may since carry a newer status of the same message than the note it wrote.
     */
    public static String messagePrefix(TimelineEntry entry, Function<TimelineEntry, String> render) {
        String queued = render.apply(withStatus(entry, "SENT"));
        String read = render.apply(withStatus(entry, "READ"));
        int same = 0;
        while (same < queued.length() && same < read.length() && queued.charAt(same) == read.charAt(same)) {
            same++;
        }
        return queued.substring(0, same);
    }

    private static TimelineEntry withStatus(TimelineEntry entry, String status) {
        MessageStatusPayload s = entry.status();
        return new TimelineEntry(entry.entityType(), entry.entityId(), entry.existingEntryId(),
                new MessageStatusPayload(s.messageId(), s.conversationId(), s.entityType(), s.entityId(), status, s.icon(),
                        null, s.text(), s.at()), null, null, entry.ambiguous(), entry.language());
    }

    /** The task an unanswered conversation opens: who to answer. */
    public static String taskText(TaskPayload task, String language) {
        Map<String, String> w = words(language);
        return w.get("task") + (task.clientName() == null || task.clientName().isBlank() ? "" : ": " + task.clientName());
    }

    /** The result a completed task carries. */
    public static String taskDoneText(String language) {
        return words(language).get("taskDone");
    }

    private static Map<String, String> words(String language) {
        return WORDS.getOrDefault(language == null ? DEFAULT_LANGUAGE : language, WORDS.get(DEFAULT_LANGUAGE));
    }

    private static String status(MessageStatusPayload s, Map<String, String> w) {
        String meaning = switch (s.status()) {
            case "SENT" -> w.get("queued");
            case "DELIVERED" -> w.get("delivered");
            case "READ" -> w.get("read");
            case "ERROR" -> w.get("error") + (s.details() == null ? "" : ": " + s.details());
            default -> s.status().toLowerCase();
        };
        return w.get("message") + " " + quote(s.text(), w) + " — " + meaning;
    }

    private static String history(MessageHistoryPayload h, Map<String, String> w) {
        return (h.income() ? w.get("client") : w.get("operator") + (h.author() == null ? "" : " " + h.author())) + ": "
                + quote(h.text(), w);
    }

    private static String state(ConversationStatePayload c, Map<String, String> w) {
        if ("blocked".equals(c.operationalState())) {
            return w.get("blocked");
        }
        if ("archived".equals(c.operationalState())) {
            return w.get("archived");
        }
        return w.get("unreplied");
    }

    private static String quote(String text, Map<String, String> w) {
        if (text == null || text.isBlank()) {
            return w.get("attachment");
        }
        String t = text.strip();
        return "“" + (t.length() > MAX_QUOTE ? t.substring(0, MAX_QUOTE - 1) + "…" : t) + "”";
    }
}
