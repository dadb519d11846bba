package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.security.SessionTokens.Session;
import com.pactcrm.connector.sync.outbox.OutboxCommand;
import com.pactcrm.connector.sync.outbox.OutboxRepository;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * "Write first" from a CRM card. The message goes through the outbox (rate limits, retries, exactly
 * once per {@code requestId}); the call waits a few seconds for Pact's answer so the card can show
 * the opened conversation, and otherwise says the message is queued.
 */
@Controller("/api/v1/chats")
@ExecuteOn(TaskExecutors.BLOCKING)
class ChatController {

    /** What the card sends. Exactly one of phone and nickname; WABA needs a template. */
    record StartChatRequest(String requestId, String entityType, String entityId, String provider,
                            @Nullable String phone, @Nullable String nickname, @Nullable String text,
                            @Nullable Long wabaTemplateId, @Nullable List<String> substitutions) {
    }

    /** {@code status}: sent (Pact accepted it), queued (still waiting), or failed with {@code reason}. */
    record StartChatResponse(String requestId, String status, Long messageId, Long conversationId, String reason) {
    }

    private final WidgetAuth auth;
    private final InstallationRepository installations;
    private final StartChatUseCase startChat;
    private final OutboxRepository commands;
    private final MessageLinkRepository messages;
    private final Duration wait;

    ChatController(WidgetAuth auth, InstallationRepository installations, StartChatUseCase startChat,
                   OutboxRepository commands, MessageLinkRepository messages,
                   @Value("${connector.chats.wait:8s}") Duration wait) {
        this.auth = auth;
        this.installations = installations;
        this.startChat = startChat;
        this.commands = commands;
        this.messages = messages;
        this.wait = wait;
    }

    @Post
    HttpResponse<StartChatResponse> start(@Nullable @Header("Authorization") String authorization,
                                          @Nullable @Header("Origin") String origin,
                                          @Body StartChatRequest request) {
        Session session = auth.require(authorization);
        Installation installation = installations.findById(session.installationId()).filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "the connector is not active here"));
        auth.requireOrigin(origin, installation);
        if (request.requestId() == null || request.requestId().isBlank() || request.requestId().length() > 100) {
            throw ProblemException.badRequest("requestId is required (at most 100 characters)");
        }
        CardEntities.requireValid(request.entityType(), request.entityId());
        startChat.start(installation, request.requestId(), request.entityType(), request.entityId(), toPact(request));
        return awaitResult(installation.id(), request.requestId());
    }

    private static PactWriteFirstRequest toPact(StartChatRequest r) {
        String phone = r.phone() == null || r.phone().isBlank() ? null : r.phone().replaceAll("\\D", "");
        if (r.phone() != null && !r.phone().isBlank() && (phone.length() < 10 || phone.length() > 15)) {
            throw ProblemException.badRequest("'" + r.phone() + "' is not a phone number: use the international format, "
                    + "country code first, e.g. +55 11 98765-4321");
        }
        try {
            return new PactWriteFirstRequest(r.provider(), phone, r.nickname(), r.text(), r.wabaTemplateId(),
                    r.substitutions(), null);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private HttpResponse<StartChatResponse> awaitResult(long installationId, String requestId) {
        Instant deadline = Instant.now().plus(wait);
        while (true) {
            OutboxCommand c = commands.findByIdempotencyKey(installationId, "chat:" + requestId).orElseThrow();
            switch (c.state()) {
                case DONE -> {
                    long messageId = Long.parseLong(c.remoteId());
                    Long conversationId = messages.find(installationId, messageId).map(m -> m.pactConversationId()).orElse(null);
                    return HttpResponse.ok(new StartChatResponse(requestId, "sent", messageId, conversationId, null));
                }
                case DEAD -> {
                    return HttpResponse.<StartChatResponse>status(HttpStatus.UNPROCESSABLE_ENTITY)
                            .body(new StartChatResponse(requestId, "failed", null, null, plainReason(c.lastError())));
                }
                default -> {
                    if (Instant.now().isAfter(deadline)) {
                        return HttpResponse.accepted().body(new StartChatResponse(requestId, "queued", null, null, null));
                    }
                    sleep();
                }
            }
        }
    }

    /** What the manager reads in the card when Pact refused the message. */
    private static String plainReason(String error) {
        if (error == null) {
            return "Pact refused the message";
        }
        if (error.startsWith("PAYMENT_REQUIRED")) {
            return "the Pact company's plan is unpaid";
        }
        if (error.startsWith("UNAUTHORIZED") || error.startsWith("NOT_CONNECTED")) {
            return "Pact is not connected: an admin must enter the Pact API token in the settings";
        }
        if (error.startsWith("FORBIDDEN")) {
            return "the Pact plan does not allow writing first on this channel";
        }
        return "Pact did not accept the message; the sync journal has the details";
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
