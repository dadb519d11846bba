package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.journal.SyncLogRepository;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.slf4j.MDC;

/** Processes one claimed event in one transaction: the handler's writes and DONE commit together. */
@Singleton
public class InboundEventProcessor {

    private final InboundEventRepository events;
    private final InstallationRepository installations;
    private final SyncLogRepository syncLog;
    private final Map<EventSource, InboundEventHandler> handlers = new EnumMap<>(EventSource.class);
    private final Clock clock;

    public InboundEventProcessor(InboundEventRepository events, InstallationRepository installations,
                                 SyncLogRepository syncLog, List<InboundEventHandler> handlers, Clock clock) {
        this.events = events;
        this.installations = installations;
        this.syncLog = syncLog;
        this.clock = clock;
        handlers.forEach(h -> this.handlers.put(h.source(), h));
    }

    /** @return the outcome, or null when the event is no longer ours (its lease was lost) */
    @Transactional
    public String process(long eventId, String owner) {
        InboundEvent event = events.lockOwned(eventId, owner).orElse(null);
        if (event == null) {
            return null;
        }
        // The dispatcher set eventId; from here on its log lines also name the installation (removed there too).
        MDC.put("installationId", Long.toString(event.installationId()));
        Installation installation = installations.findById(event.installationId())
                .orElseThrow(() -> new UnprocessableEventException("installation is gone"));
        InboundEventHandler handler = handlers.get(event.source());
        if (handler == null) {
            throw new UnprocessableEventException("no handler for " + event.source() + " events yet");
        }
        String outcome = installation.active() ? handler.handle(event, installation) : "ignored: installation inactive";
        events.markDone(eventId, outcome, clock.instant());
        syncLog.record(installation.id(), "EVENT_PROCESSED", eventId, null, null, null, "DONE", outcome);
        return outcome;
    }
}
