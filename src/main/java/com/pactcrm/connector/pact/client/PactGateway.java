package com.pactcrm.connector.pact.client;

import java.util.List;

/**
 * Pact API v2 ({@code /api/p2}) plus the one v1 call still needed (the client-card comment).
 * Every method either returns Pact's answer or throws {@link PactApiException}; rate limits per
 * token and the circuit breaker of the Pact host are applied inside.
 */
public interface PactGateway {

    /** {@code GET /api/p2/conversations?company_id&search_string&page&per_page}: finds dialogs by phone or nickname. */
    List<PactConversation> searchConversations(PactCredentials credentials, String searchString, int page, int perPage);

    /** {@code GET /api/p2/conversations/{id}?company_id}. */
    PactConversation getConversation(PactCredentials credentials, long conversationId);

    /** {@code PUT /api/p2/conversations/{id}}: assignee, archive, answered/unanswered. */
    PactConversation updateConversation(PactCredentials credentials, long conversationId, PactConversationUpdate update);

    /** {@code POST /api/p2/messages} ("write first"), always with {@code send_to_crm: false}. */
    PactMessage writeFirst(PactCredentials credentials, PactWriteFirstRequest request);

    /** {@code POST /api/p2/conversations/{id}/messages}, always with {@code send_to_crm: false}. */
    PactMessage sendMessage(PactCredentials credentials, long conversationId, PactSendMessageRequest request);

    /** {@code GET /api/p2/conversations/{id}/messages?company_id&page&per_page}. */
    List<PactMessage> listMessages(PactCredentials credentials, long conversationId, int page, int perPage);

    /** {@code GET /api/p2/waba_templates?company_ids[]=cid&page&per_page} (v2 has no company-scoped template path). */
    List<PactWabaTemplate> wabaTemplates(PactCredentials credentials, int page, int perPage);

    /** {@code POST /api/p2/attachments/} with a multipart {@code file}. */
    PactAttachment uploadAttachment(PactCredentials credentials, String fileName, String mimeType, byte[] content);

    /** {@code POST /api/p2/attachments/} with {@code file_url}. */
    PactAttachment uploadAttachmentFromUrl(PactCredentials credentials, String fileUrl);

    /** {@code GET /api/p2/companies/{cid}/auths?page&per_page}: the company's connected messenger accounts. */
    List<PactAuth> listAuths(PactCredentials credentials, int page, int perPage);

    /** {@code GET /api/p2/companies/{cid}/webhooks}. */
    List<PactWebhook> listWebhooks(PactCredentials credentials);

    /** {@code POST /api/p2/companies/{cid}/webhooks}: new webhooks start inactive. */
    PactWebhook registerWebhook(PactCredentials credentials, String url);

    /** {@code PUT /api/p2/companies/{cid}/webhooks/{id}} with {@code active: true}; Pact then posts its test handshake. */
    PactWebhook activateWebhook(PactCredentials credentials, long webhookId);

    /** {@code PUT /p1/companies/{cid}/conversations/{id}/note}: the comment on the Pact client card. */
    void setConversationNote(PactCredentials credentials, long conversationId, String note);
}
