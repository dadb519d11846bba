package com.pactcrm.connector.bitrix24.sender;

import com.pactcrm.connector.bitrix24.Bitrix24Callbacks;
import com.pactcrm.connector.bitrix24.install.Bitrix24Installer;
import com.pactcrm.connector.crm.CrmEntityIds;
import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.crm.PhoneNumbers;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The handler of the connector's {@code messageservice} sender ("Pact WhatsApp" in the card's SMS/WhatsApp block and
 * in the "Send SMS" automation rule; bitrix24.md §6.3,
 * https://apidocs.bitrix24.com/api-reference/messageservice/messageservice-sender-add.html). Bitrix24 posts
 * {@code message_id}, {@code message_to}, {@code message_body}, the CRM {@code bindings} (or a workflow's
 * {@code document_id}) and {@code auth}; the {@code application_token} authenticates it as for events. The message
 * becomes a Pact "write first" (request id {@code b24msg:<message_id>}, so a repeated post is one message) linked to
 * the bound entity; its statuses go back with {@code messageservice.message.status.update} (see the gateway).
 */
@Controller("/bitrix24/messageservice")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24SenderController {

    private static final Pattern DOCUMENT = Pattern.compile("(LEAD|DEAL|CONTACT)_(\\d{1,20})");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24SenderController.class);

    private final Bitrix24Callbacks callbacks;
    private final Bitrix24SenderMessages messages;

    Bitrix24SenderController(Bitrix24Callbacks callbacks, Bitrix24SenderMessages messages) {
        this.callbacks = callbacks;
        this.messages = messages;
    }

    @Post(consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> send(@Nullable @Body byte[] body) {
        BracketedForm form = Bitrix24Callbacks.form(body);
        Installation installation = callbacks.installation(form, "sender");
        MDC.put("installationId", Long.toString(installation.id()));
        try {
            return accept(installation, form);
        } finally {
            MDC.remove("installationId");
        }
    }

    private Map<String, String> accept(Installation installation, BracketedForm form) {
        String messageId = form.get("message_id");
        String text = form.get("message_body");
        if (!Bitrix24Installer.SENDER_CODE.equals(form.get("code")) || messageId == null || messageId.length() > 64 || text == null) {
            throw ProblemException.badRequest("code, message_id and message_body are required");
        }
        if (text.length() > PactWriteFirstRequest.MAX_TEXT) {
            throw ProblemException.badRequest("message_body has more than " + PactWriteFirstRequest.MAX_TEXT + " characters");
        }
        String phone;
        try {
            // The card's SMS block sends the contact's phone as a person stored it (8 (999) 123-45-67, 11 98765-4321).
            phone = Phone.parse(form.get("message_to"), PhoneNumbers.defaultCountry(installation)).digits();
        } catch (Phone.InvalidPhoneException e) {
            throw ProblemException.badRequest("message_to: " + e.getMessage());
        }
        String[] entity = entity(form);
        boolean queued = messages.queue(installation, messageId, entity[0], entity[1], phone, text);
        LOG.info("event=bitrix24_sender_message installationId={} messageId={} entity={}:{} queued={}", installation.id(),
                messageId, entity[0], entity[1], queued);
        return Map.of("status", queued ? "accepted" : "duplicate");
    }

    /** From the CRM binding (OWNER_TYPE_ID 1 lead, 2 deal, 3 contact) or a workflow's {@code document_id[2]} ("DEAL_12"). */
    private static String[] entity(BracketedForm form) {
        String type = switch (String.valueOf(form.get("bindings[0][OWNER_TYPE_ID]"))) {
            case "1" -> "lead";
            case "2" -> "deal";
            case "3" -> "contact";
            default -> null;
        };
        String id = form.get("bindings[0][OWNER_ID]");
        if (type != null && CrmEntityIds.valid(id)) {
            return new String[] {type, id};
        }
        Matcher m = DOCUMENT.matcher(String.valueOf(form.get("document_id[2]")));
        if (m.matches() && CrmEntityIds.valid(m.group(2))) {
            return new String[] {m.group(1).toLowerCase(), m.group(2)};
        }
        throw ProblemException.badRequest("the message is bound to no lead, deal or contact");
    }
}
