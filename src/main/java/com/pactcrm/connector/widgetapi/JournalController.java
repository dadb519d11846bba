package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.crm.Phone;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.inbound.InboundJournal;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.widgetapi.InstallationSyncQueries.JournalEntry;
import com.pactcrm.connector.widgetapi.WidgetAuth.Caller;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync journal (CRM admins): what happened to each inbound event and outbound command and why, searchable by
 * phone or Pact conversation; a parked event or a dead letter can be retried. Ids name their table
 * ({@code event-12}, {@code command-34}) because both kinds share one list.
 */
@Controller("/api/v1/journal")
@ExecuteOn(TaskExecutors.BLOCKING)
class JournalController {

    record Journal(List<JournalEntry> entries) {
    }

    record Retried(String id, boolean retried) {
    }

    private static final Pattern ENTRY_ID = Pattern.compile("(event|command)-(\\d{1,18})");
    private static final Logger LOG = LoggerFactory.getLogger(JournalController.class);

    private final WidgetAuth auth;
    private final InstallationSyncQueries queries;
    private final InboundJournal events;
    private final Outbox commands;

    JournalController(WidgetAuth auth, InstallationSyncQueries queries, InboundJournal events, Outbox commands) {
        this.auth = auth;
        this.queries = queries;
        this.events = events;
        this.commands = commands;
    }

    @Get
    Journal search(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                   @Nullable @QueryValue String phone, @Nullable @QueryValue String conversation) {
        Installation installation = auth.admin(authorization, origin).installation();
        String number = null;
        if (phone != null && !phone.isBlank()) {
            number = Phone.of(phone).digits();
            if (number.length() < 8 || number.length() > 15) {
                throw ProblemException.badRequest("'" + phone + "' is not a phone number");
            }
        } else if (conversation != null && !conversation.isBlank()) {
            if (!conversation.strip().matches("\\d{1,18}")) {
                throw ProblemException.badRequest("a Pact conversation id is a number");
            }
            number = conversation.strip();
        }
        return new Journal(queries.search(installation.id(), number));
    }

    @Post("/{id}/retry")
    Retried retry(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin,
                  @PathVariable String id) {
        Caller caller = auth.admin(authorization, origin);
        Matcher m = ENTRY_ID.matcher(id);
        if (!m.matches()) {
            throw ProblemException.badRequest("a journal id looks like event-12 or command-34");
        }
        long installationId = caller.installation().id();
        long rowId = Long.parseLong(m.group(2));
        boolean retried = m.group(1).equals("event") ? events.retryParked(installationId, rowId)
                : commands.retryDead(installationId, rowId);
        if (!retried) {
            throw new ProblemException(HttpStatus.CONFLICT, "Not retryable",
                    "only a parked event or a dead letter of this installation can be retried");
        }
        LOG.info("event=journal_retry installationId={} entry={} crmUser={}", installationId, id, caller.session().crmUserId());
        return new Retried(id, true);
    }
}
