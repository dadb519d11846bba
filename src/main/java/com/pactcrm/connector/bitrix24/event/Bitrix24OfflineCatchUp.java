package com.pactcrm.connector.bitrix24.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.oauth.Bitrix24TokenService;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import com.pactcrm.connector.sync.reconcile.CatchUp;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * Bitrix24 never re-sends an event (bitrix24.md §3.4, §8.1 fact 6), so the installer also binds the CRM events as
 * offline events: the portal queues them, and this catch-up collects them with {@code event.offline.get} (up to
 * {@value #LIMIT} a call, {@code connector.reconciliation.bitrix24.max-calls} calls a run, each one request of the
 * portal's leaky bucket). Each one is journaled as the form the online handler would have received
 * ({@code event}, {@code data[FIELDS][ID]}, {@code ts}, {@code auth[member_id]}) and processed like it; what the online
 * event already did is not done twice (an unchanged responsible sends nothing, a comment already on the Pact card is
 * not added again). {@code clear=1} takes the events out of the queue as they are read: they are journaled at once.
 */
@Singleton
public class Bitrix24OfflineCatchUp implements CatchUp {

    private static final int LIMIT = 50;

    private final Bitrix24TokenService tokens;
    private final Bitrix24ApiClient api;
    private final WebhookIntake intake;
    private final ObjectMapper json;
    private final int maxCalls;

    public Bitrix24OfflineCatchUp(Bitrix24TokenService tokens, Bitrix24ApiClient api, WebhookIntake intake, ObjectMapper json,
                                  @Value("${connector.reconciliation.bitrix24.max-calls:4}") int maxCalls) {
        this.tokens = tokens;
        this.api = api;
        this.intake = intake;
        this.json = json;
        this.maxCalls = maxCalls;
    }

    @Override
    public boolean appliesTo(Installation installation) {
        return installation.crm() == CrmKind.BITRIX24 && installation.active();
    }

    @Override
    public Result run(Installation installation, Instant since) {
        int recovered = 0;
        int read = 0;
        try {
            for (int call = 0; call < maxCalls; call++) {
                JsonNode events = tokens.withPortal(installation.id(), portal -> api.call(portal, "event.offline.get",
                        json.createObjectNode().put("clear", 1).put("limit", LIMIT))).path("events");
                for (JsonNode e : events) {
                    read++;
                    recovered += intake.acceptRecovered(installation.id(), EventSource.BITRIX24,
                            form(installation, e).getBytes(StandardCharsets.UTF_8), "application/x-www-form-urlencoded",
                            "bitrix24-offline") ? 1 : 0;
                }
                if (events.size() < LIMIT) {
                    return new Result(recovered, true, "Bitrix24: " + read + " offline event(s)");
                }
            }
            return new Result(recovered, false, "Bitrix24: " + read + " offline event(s), more waiting", since);
        } catch (OutboundCallException e) {
            return new Result(recovered, false, "Bitrix24: stopped after " + read + " offline event(s): " + e.getMessage(),
                    since);
        }
    }

    /** The online event's form for an offline one; the offline id keeps two changes of one entity apart. */
    private static String form(Installation installation, JsonNode e) {
        return "event=" + enc(e.path("EVENT_NAME").asText()) + "&data%5BFIELDS%5D%5BID%5D="
                + enc(e.path("EVENT_DATA").path("FIELDS").path("ID").asText()) + "&ts=" + epoch(e.path("TIMESTAMP_X").asText())
                + "&offline_id=" + enc(e.path("ID").asText()) + "&auth%5Bmember_id%5D=" + enc(installation.crmAccountId());
    }

    private static long epoch(String timestamp) {
        try {
            return OffsetDateTime.parse(timestamp).toEpochSecond();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
