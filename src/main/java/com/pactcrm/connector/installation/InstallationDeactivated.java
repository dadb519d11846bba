package com.pactcrm.connector.installation;

/** Published when an installation stops being active (disconnected, uninstalled), so caches forget it at once. */
public record InstallationDeactivated(long installationId) {
}
