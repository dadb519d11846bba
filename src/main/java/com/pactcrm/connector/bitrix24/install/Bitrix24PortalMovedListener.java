package com.pactcrm.connector.bitrix24.install;

import com.pactcrm.connector.bitrix24.Bitrix24InstallationRepository;
import com.pactcrm.connector.bitrix24.client.Bitrix24PortalMoved;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stores a renamed portal's new domain (member_id stays, bitrix24.md §2). */
@Singleton
class Bitrix24PortalMovedListener {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24PortalMovedListener.class);

    private final Bitrix24InstallationRepository installations;

    Bitrix24PortalMovedListener(Bitrix24InstallationRepository installations) {
        this.installations = installations;
    }

    @EventListener
    void onMoved(Bitrix24PortalMoved moved) {
        if (installations.updateHost(moved.memberId(), moved.newHost()) > 0) {
            LOG.info("event=bitrix24_domain_stored memberId={} oldHost={} newHost={}", moved.memberId(), moved.oldHost(),
                    moved.newHost());
        }
    }
}
