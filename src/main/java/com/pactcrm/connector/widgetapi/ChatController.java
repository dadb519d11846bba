package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.chat.ReplyUseCase;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.crm.CrmEntity;
import com.pactcrm.connector.crm.CrmGateway;
import com.pactcrm.connector.crm.PhoneNumbers;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.quickreply.QuickReplyTemplate;
import com.pactcrm.connector.quickreply.QuickReplyTemplateRepository;
import com.pactcrm.connector.quickreply.QuickReplyText;
import com.pactcrm.connector.widgetapi.CardConversations.Conversation;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Write first" from a CRM card. The entity must exist in the caller's CRM (read with the installation's own
 * tokens): a session may name any id, and the message would otherwise go out through the company's Pact and be
 * linked to a card nobody has. The message goes through the outbox (rate limits, retries, exactly once per
 * {@code requestId}); the call waits a few seconds for Pact's answer so the card can show the opened conversation,
 * and otherwise says the message is queued.
 */
@Controller("/api/v1/chats")
@ExecuteOn(TaskExecutors.BLOCKING)
class ChatController {

    /**
     * What the card sends. Exactly one of phone and nickname; WABA needs a template ({@code wabaTemplateId} is
     * the template's {@code waba_id}); {@code quickReplyId} stands for a text the server fills in.
     */
    record StartChatRequest(String requestId, String entityType, String entityId, String provider,
                            @Nullable String phone, @Nullable String nickname, @Nullable String text,
                            @Nullable Long wabaTemplateId, @Nullable List<String> substitutions,
                            @Nullable Long quickReplyId) {
    }

    record ChatList(List<Conversation> conversations) {
    }

    /** {@code status}: sent (Pact accepted it), queued (still waiting), or failed with {@code reason}. */
    record StartChatResponse(String requestId, String status, Long messageId, Long conversationId, String reason) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ChatController.class);

    private final WidgetAuth auth;
    private final CardConversations conversations;
    private final QuickReplyTemplateRepository quickReplies;
    private final WidgetSettings settings;
    private final Map<CrmKind, CrmGateway> gateways = new EnumMap<>(CrmKind.class);
    private final StartChatUseCase startChat;
    private final CommandOutcomes outcomes;
    private final MessageLinkRepository messages;
    private final ReplyUseCase replies;

    ChatController(WidgetAuth auth, CardConversations conversations, QuickReplyTemplateRepository quickReplies,
                   WidgetSettings settings, List<CrmGateway> gateways, StartChatUseCase startChat,
                   CommandOutcomes outcomes, MessageLinkRepository messages, ReplyUseCase replies) {
        this.auth = auth;
        this.conversations = conversations;
        this.quickReplies = quickReplies;
        this.settings = settings;
        gateways.forEach(g -> this.gateways.put(g.crm(), g));
        this.startChat = startChat;
        this.outcomes = outcomes;
        this.messages = messages;
        this.replies = replies;
    }

    /** The card's chats alone (no CRM call): what the card polls to follow the status icons. */
    @Get
    ChatList list(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                  @QueryValue String entityType, @QueryValue String entityId) {
        Caller caller = auth.caller(authorization, origin);
        CardEntities.requireValid(entityType, entityId);
        return new ChatList(conversations.of(caller.installation().id(), entityType, entityId));
    }

    @Post
    HttpResponse<StartChatResponse> start(@Nullable @Header("Authorization") String authorization,
                                          @Nullable @Header("Origin") String origin,
                                          @Body StartChatRequest request) {
        Caller caller = auth.caller(authorization, origin);
        Installation installation = caller.installation();
        if (request.requestId() == null || request.requestId().isBlank() || request.requestId().length() > 100) {
            throw ProblemException.badRequest("requestId is required (at most 100 characters)");
        }
        CardEntities.requireValid(request.entityType(), request.entityId());
        CrmEntity entity = existingEntity(installation, request.entityType(), request.entityId());
        String text = request.quickReplyId() != null && (request.text() == null || request.text().isBlank())
                ? quickReplyText(caller, request, entity) : request.text();
        try {
            // Writing first makes the writer the conversation's Pact assignee (when an admin mapped them).
            startChat.start(installation, request.requestId(), request.entityType(), request.entityId(), toPact(request, text, PhoneNumbers.defaultCountry(installation)),
                    caller.session().crmUserId(), settings.userName(caller),
                    replies.assignee(installation.id(), caller.session().crmUserId(), List.of()));
        } catch (IllegalArgumentException e) {
            // The outbox refuses a command it could not store whole.
            throw ProblemException.badRequest("the message is too large");
        }
        return awaitResult(installation.id(), request.requestId());
    }

    /** @throws ProblemException 404 when the caller's CRM has no such entity, 503 when it cannot be read just now */
    private CrmEntity existingEntity(Installation installation, String entityType, String entityId) {
        CrmGateway gateway = gateways.get(installation.crm());
        if (gateway == null) {
            throw new IllegalStateException("no CRM gateway for " + installation.crm());
        }
        try {
            return gateway.entity(installation, entityType, entityId).orElseThrow(() -> {
                LOG.info("event=start_chat_refused installationId={} entity={}:{} reason=not_in_crm", installation.id(),
                        entityType, entityId);
                return new ProblemException(HttpStatus.NOT_FOUND, "Not Found", "the CRM has no " + entityType + " " + entityId);
            });
        } catch (OutboundCallException e) {
            LOG.warn("event=start_chat_crm_unavailable installationId={} entity={}:{} error=\"{}\"", installation.id(),
                    entityType, entityId, e.getMessage());
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "CRM unavailable",
                    "the CRM could not be read just now; nothing was sent, try again");
        }
    }

    private String quickReplyText(Caller caller, StartChatRequest request, CrmEntity entity) {
        QuickReplyTemplate template = quickReplies.find(caller.installation().id(), request.quickReplyId())
                .orElseThrow(() -> ProblemException.badRequest("there is no quick reply " + request.quickReplyId()));
        return QuickReplyText.fill(template.body(), entity.name(), settings.userName(caller));
    }

    private static PactWriteFirstRequest toPact(StartChatRequest r, String text, String defaultCountry) {
        String phone;
        try {
            phone = r.phone() == null || r.phone().isBlank() ? null : Phone.parse(r.phone(), defaultCountry).digits();
        } catch (Phone.InvalidPhoneException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
        try {
            return new PactWriteFirstRequest(r.provider(), phone, r.nickname(), text, r.wabaTemplateId(),
                    r.substitutions(), null);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private HttpResponse<StartChatResponse> awaitResult(long installationId, String requestId) {
        CommandOutcomes.Outcome outcome = outcomes.await(installationId, "chat:" + requestId);
        return switch (outcome.state()) {
            case DONE -> {
                long messageId = Long.parseLong(outcome.remoteId());
                Long conversationId = messages.find(installationId, messageId).map(m -> m.pactConversationId()).orElse(null);
                yield HttpResponse.ok(new StartChatResponse(requestId, "sent", messageId, conversationId, null));
            }
            case DEAD -> HttpResponse.<StartChatResponse>status(HttpStatus.UNPROCESSABLE_ENTITY)
                    .body(new StartChatResponse(requestId, "failed", null, null, CommandOutcomes.plainReason(outcome.lastError())));
            default -> HttpResponse.accepted().body(new StartChatResponse(requestId, "queued", null, null, null));
        };
    }
}
