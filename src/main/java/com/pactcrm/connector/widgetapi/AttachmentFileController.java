package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.chat.ChatAttachment;
import com.pactcrm.connector.chat.ChatAttachments;
import com.pactcrm.connector.chat.MessageLinkRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a message's attachment to the card through a link {@link AttachmentLinks} signed. The file is fetched from
 * the address Pact gave for it, and only from a host in {@code connector.card.file-hosts} (Pact's CDN): the address
 * comes from a webhook body, and the connector must not become a way to reach other hosts. No Pact token goes with
 * it, no redirect is followed, and the card's page (CSP {@code img-src 'self'}) shows it as its own.
 */
@Controller("/files")
@ExecuteOn(TaskExecutors.BLOCKING)
class AttachmentFileController {

    private static final Logger LOG = LoggerFactory.getLogger(AttachmentFileController.class);

    private final AttachmentLinks links;
    private final MessageLinkRepository messages;
    private final Set<String> hosts;
    private final long maxBytes;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    AttachmentFileController(AttachmentLinks links, MessageLinkRepository messages,
                             @Value("${connector.card.file-hosts:cdn.pact.im}") String hosts,
                             @Value("${connector.card.max-file-bytes:16777216}") long maxBytes) {
        this.links = links;
        this.messages = messages;
        this.hosts = Arrays.stream(hosts.split(",")).map(String::strip).filter(h -> !h.isEmpty())
                .map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.maxBytes = maxBytes;
    }

    @Get("/{installationId}/{messageId}/{attachmentId}")
    HttpResponse<byte[]> file(@PathVariable String installationId, @PathVariable String messageId,
                              @PathVariable String attachmentId, @Nullable @QueryValue String exp,
                              @Nullable @QueryValue String sig) {
        long inst = ConversationMessagesController.positive(installationId, "installation");
        long message = ConversationMessagesController.positive(messageId, "message");
        long attachment = ConversationMessagesController.positive(attachmentId, "attachment");
        if (exp == null || !exp.matches("\\d{1,12}") || !links.valid(inst, message, attachment, Long.parseLong(exp), sig)) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden",
                    "this file link is not valid or has expired: open the card again");
        }
        ChatAttachment file = messages.find(inst, message).map(m -> ChatAttachments.fromJson(m.attachments()))
                .orElse(List.of()).stream().filter(a -> a.id() == attachment).findFirst()
                .orElseThrow(ProblemException::notFound);
        URI source = allowed(file.url());
        try {
            java.net.http.HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(source)
                    .timeout(Duration.ofSeconds(20)).GET().build(), BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    LOG.info("event=attachment_fetch_failed installationId={} messageId={} status={}", inst, message,
                            response.statusCode());
                    throw new ProblemException(HttpStatus.BAD_GATEWAY, "File unavailable",
                            "Pact did not give the file just now; try again later");
                }
                byte[] content = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (content.length > maxBytes) {
                    throw new ProblemException(HttpStatus.BAD_GATEWAY, "File too large", "the file is too large to show here");
                }
                String type = file.mimeType() != null && file.mimeType().matches("[\\w.+-]+/[\\w.+-]+") ? file.mimeType()
                        : MediaType.APPLICATION_OCTET_STREAM;
                boolean inline = type.startsWith("image/");
                return HttpResponse.ok(content).contentType(type)
                        .header("Content-Disposition", (inline ? "inline" : "attachment") + "; filename*=UTF-8''"
                                + encode(file.name() == null ? "file" : file.name()))
                        .header("Cache-Control", "private, max-age=3600")
                        .header("Content-Security-Policy", "default-src 'none'; sandbox");
            }
        } catch (IOException e) {
            throw new ProblemException(HttpStatus.BAD_GATEWAY, "File unavailable",
                    "Pact did not give the file just now; try again later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Unavailable", "the service is stopping");
        }
    }

    private URI allowed(String url) {
        URI uri;
        try {
            uri = url == null ? null : URI.create(url);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
                || !hosts.contains(uri.getHost().toLowerCase(Locale.ROOT))) {
            LOG.warn("event=attachment_host_refused host={}", uri == null ? null : uri.getHost());
            throw new ProblemException(HttpStatus.NOT_FOUND, "Not Found", "this file is not kept at Pact's file host");
        }
        return uri;
    }

    private static String encode(String name) {
        return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
