package com.pactcrm.connector.amocrm.automation;

import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;

/**
 * One firing of the digital-pipeline action: the lead's first contact phone gets a Pact "write first" (a text, or a WABA
 * template), with {@code {{lead.name}}} and {@code {{lead.id}}} filled from the lead. Its
 * request id is the firing ({@link AmoCrmDigitalPipelineAction#trigger()}), so amoCRM's retries send one message.
 */
@Singleton
public class AmoCrmAutomationUseCase {

    private final List<CrmGateway> gateways;
    private final StartChatUseCase startChat;

    public AmoCrmAutomationUseCase(List<CrmGateway> gateways, StartChatUseCase startChat) {
        this.gateways = gateways;
        this.startChat = startChat;
    }

    public String apply(Installation installation, AmoCrmDigitalPipelineAction action) {
        CrmGateway gateway = gateways.stream().filter(g -> g.crm() == installation.crm()).findFirst().orElseThrow();
        Optional<CrmEntity> lead = gateway.entity(installation, "lead", action.leadId());
        if (lead.isEmpty() || lead.get().phones().isEmpty()) {
            return "lead " + action.leadId() + (lead.isEmpty() ? " no longer exists" : " has no contact phone") + "; nothing sent";
        }
        String phone = lead.get().phones().get(0);
        PactWriteFirstRequest request;
        if (action.wabaId() != null) {
            request = PactWriteFirstRequest.waba(phone, action.wabaId(),
                    action.substitutions().stream().map(s -> fill(s, lead.get())).toList());
        } else if (action.text() != null && !action.text().isBlank()) {
            String text = fill(action.text(), lead.get());
            if (text.length() > PactWriteFirstRequest.MAX_TEXT) {
                return "the action's text is over " + PactWriteFirstRequest.MAX_TEXT + " characters; nothing sent";
            }
            request = PactWriteFirstRequest.whatsapp(phone, text);
        } else {
            return "the action has neither a text nor a WABA template; nothing sent";
        }
        boolean queued = startChat.start(installation, action.trigger(), "lead", action.leadId(), request);
        return "digital pipeline on lead " + action.leadId() + ": Pact message " + (queued ? "queued" : "already queued");
    }

    private static String fill(String template, CrmEntity lead) {
        return template.replace("{{lead.name}}", lead.name() == null ? "" : lead.name())
                .replace("{{lead.id}}", lead.id());
    }
}
