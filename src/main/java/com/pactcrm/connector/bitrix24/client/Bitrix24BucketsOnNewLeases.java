package com.pactcrm.connector.bitrix24.client;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.sync.lease.LeasesChanged;
import io.micronaut.runtime.event.annotation.EventListener;
import jakarta.inject.Singleton;

/**
 * A portal this replica just took (a new installation, installed through whichever replica got the installer's
 * request) may have a bucket filled by calls this process never saw: unless this process made them, its bucket starts
 * full and drains at the portal's rate, which lets the new owner work at once at 2 requests a second, where a quiet
 * period would have held everything for the 25 s a full bucket takes to drain.
 */
@Singleton
class Bitrix24BucketsOnNewLeases {

    private final InstallationRepository installations;
    private final Bitrix24ApiClient client;

    Bitrix24BucketsOnNewLeases(InstallationRepository installations, Bitrix24ApiClient client) {
        this.installations = installations;
        this.client = client;
    }

    @EventListener
    void onLeasesChanged(LeasesChanged event) {
        event.acquired().stream()
                .flatMap(id -> installations.findById(id).stream())
                .filter(installation -> installation.crm() == CrmKind.BITRIX24)
                .forEach(installation -> client.assumeBucketFullUnlessCalledHere(installation.crmAccountId()));
    }
}
