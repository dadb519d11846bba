package com.pactcrm.connector.bitrix24.placement;

import com.pactcrm.connector.installation.Installation;

/** A portal user a frame's {@code AUTH_ID} was verified for, in the installation of that portal. */
record Bitrix24FrameUser(Installation installation, String userId, String name, boolean admin) {
}
