package com.pactcrm.connector.amocrm.automation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.amocrm.client.AmoCrmApiClient;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenService;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One firing of the digital-pipeline action: the lead's first contact phone gets a Pact "write first" (a text, or a WABA
 * template), with {@code {{lead.name}}} and {@code {{lead.id}}} filled from the lead. Its
 * request id is the firing ({@link AmoCrmDigitalPipelineAction#trigger()}), so amoCRM's retries send one message.
 */
@Singleton
public class AmoCrmAutomationUseCase {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmAutomationUseCase.class);

    private final List<CrmGateway> gateways;
    private final StartChatUseCase startChat;
    private final AmoCrmApiClient api;
    private final AmoCrmTokenService tokens;
    private final ObjectMapper json;

    public AmoCrmAutomationUseCase(List<CrmGateway> gateways, StartChatUseCase startChat, AmoCrmApiClient api,
                                   AmoCrmTokenService tokens, ObjectMapper json) {
        this.gateways = gateways;
        this.startChat = startChat;
        this.api = api;
        this.tokens = tokens;
        this.json = json;
    }

    public String apply(Installation installation, AmoCrmDigitalPipelineAction action) {
        return "digital pipeline on lead " + action.leadId() + ": " + send(installation, action.leadId(), action.trigger(),
                action.text(), action.wabaId(), action.substitutions());
    }

    /**
     * The Salesbot step: the message, then the bot goes on ({@code continue} with {@code data.status} queued or
     * not_sent). A bot that cannot be told is logged: the message stands, and amoCRM times the step out on its own.
     */
    public String salesbot(Installation installation, AmoCrmSalesbotRequest request) {
        String sent = send(installation, request.leadId(), request.trigger(), request.text(), request.wabaId(),
                request.substitutions());
        ObjectNode data = json.createObjectNode().put("status", sent.startsWith("Pact message") ? "queued" : "not_sent");
        try {
            AmoCrmAccount account = tokens.account(installation.id());
            api.continueBot(account, request.returnUrl().getPath(), data);
            return "salesbot on lead " + request.leadId() + ": " + sent + "; bot continued";
        } catch (OutboundCallException e) {
            LOG.warn("event=amocrm_salesbot_not_continued installationId={} error=\"{}\"", installation.id(), e.getMessage());
            return "salesbot on lead " + request.leadId() + ": " + sent + "; the bot could not be continued: " + e.getMessage();
        }
    }

    /**
     * Sends to the lead's first contact phone; {@code trigger} is the request id (one message per trigger).
     *
     * @return what happened, for the journal
     */
    public String send(Installation installation, String leadId, String trigger, String template, Long wabaId,
                       List<String> substitutions) {
        CrmGateway gateway = gateways.stream().filter(g -> g.crm() == installation.crm()).findFirst().orElseThrow();
        Optional<CrmEntity> lead = gateway.entity(installation, "lead", leadId);
        if (lead.isEmpty() || lead.get().phones().isEmpty()) {
            return "lead " + leadId + (lead.isEmpty() ? " no longer exists" : " has no contact phone") + "; nothing sent";
        }
        String phone = lead.get().phones().get(0);
        PactWriteFirstRequest request;
        if (wabaId != null) {
            request = PactWriteFirstRequest.waba(phone, wabaId, substitutions.stream().map(s -> fill(s, lead.get())).toList());
        } else if (template != null && !template.isBlank()) {
            String text = fill(template, lead.get());
            if (text.length() > PactWriteFirstRequest.MAX_TEXT) {
                return "the text is over " + PactWriteFirstRequest.MAX_TEXT + " characters; nothing sent";
            }
            request = PactWriteFirstRequest.whatsapp(phone, text);
        } else {
            return "neither a text nor a WABA template; nothing sent";
        }
        boolean queued = startChat.start(installation, trigger, "lead", leadId, request);
        return "Pact message " + (queued ? "queued" : "already queued");
    }

    private static String fill(String template, CrmEntity lead) {
        return template.replace("{{lead.name}}", lead.name() == null ? "" : lead.name())
                .replace("{{lead.id}}", lead.id());
    }
}
