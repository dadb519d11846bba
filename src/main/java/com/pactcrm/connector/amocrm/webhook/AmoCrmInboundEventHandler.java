package com.pactcrm.connector.amocrm.webhook;

import com.pactcrm.connector.amocrm.automation.AmoCrmAutomationUseCase;
import com.pactcrm.connector.amocrm.automation.AmoCrmDigitalPipelineAction;
import com.pactcrm.connector.amocrm.automation.AmoCrmSalesbotRequest;
import com.pactcrm.connector.chat.CommentUseCase;
import com.pactcrm.connector.chat.ResponsibleUseCase;
import com.pactcrm.connector.crm.event.CrmEntityType;
import com.pactcrm.connector.crm.event.CrmEvent;
import com.pactcrm.connector.crm.event.CrmEvent.NoteAdded;
import com.pactcrm.connector.crm.event.CrmEvent.ResponsibleChanged;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMapping;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.InboundEvent;
import com.pactcrm.connector.sync.inbound.InboundEventHandler;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Journaled amoCRM webhooks → CRM events → the CRM-agnostic use-cases: a responsible change sets the
 * Pact assignee, a note a person wrote becomes the Pact client-card comment. Notes written by the
 * connector (service "Pact") are recognised by the translator and never loop back.
 */
@Singleton
class AmoCrmInboundEventHandler implements InboundEventHandler {

    private final ResponsibleUseCase responsible;
    private final CommentUseCase comments;
    private final UserMappingRepository users;
    private final AmoCrmNoteOrigin ownNotes;
    private final AmoCrmAutomationUseCase automation;

    AmoCrmInboundEventHandler(ResponsibleUseCase responsible, CommentUseCase comments, UserMappingRepository users,
                              @Value("${connector.amocrm.own-note-services:Pact}") Set<String> ownServiceNames,
                              AmoCrmAutomationUseCase automation) {
        this.automation = automation;
        this.responsible = responsible;
        this.comments = comments;
        this.users = users;
        this.ownNotes = new AmoCrmNoteOrigin(Set.of(), ownServiceNames);
    }

    @Override
    public EventSource source() {
        return EventSource.AMOCRM;
    }

    @Override
    public String handle(InboundEvent event, Installation installation) {
        if (event.body().length > 0 && event.body()[0] == '{') {
            return automation.salesbot(installation, AmoCrmSalesbotRequest.of(event.body()));
        }
        if (AmoCrmDigitalPipelineAction.isAction(BracketedForm.parse(event.body()).tree())) {
            return automation.apply(installation, AmoCrmDigitalPipelineAction.of(event.body()));
        }
        AmoCrmWebhook webhook = AmoCrmWebhookTranslator.translate(event.body(), ownNotes);
        if (!webhook.isFromAccount(installation.crmAccountId())) {
            throw new UnprocessableEventException("body is for account " + webhook.accountId());
        }
        List<String> outcomes = new ArrayList<>();
        for (CrmEvent e : webhook.events()) {
            outcomes.add(apply(installation, e, event.id()));
        }
        return outcomes.isEmpty() ? "no events" : String.join("; ", outcomes);
    }

    private String apply(Installation installation, CrmEvent e, long eventId) {
        if (e instanceof ResponsibleChanged r && r.entityType() != CrmEntityType.COMPANY) {
            return responsible.apply(installation, r.entityType().wireName(), r.entityId(), r.responsibleUserId(), eventId);
        }
        if (e instanceof NoteAdded n && n.entityType() != CrmEntityType.COMPANY) {
            if (!n.writtenByPerson()) {
                return "note " + n.noteId() + " not written by a person";
            }
            String author = n.authorUserId() == null ? null
                    : users.findByCrmUser(installation.id(), n.authorUserId()).map(UserMapping::crmUserName).orElse(null);
            return comments.apply(installation, n.entityType().wireName(), n.entityId(), author, n.text(), n.at(), eventId);
        }
        return e.getClass().getSimpleName() + " ignored";
    }
}
