package com.pactcrm.connector.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class MessageStatusTest {

    @Test
    void statusesOnlyMoveForward() {
        assertTrue(MessageStatus.SENT.canAdvanceTo(MessageStatus.DELIVERED));
        assertTrue(MessageStatus.DELIVERED.canAdvanceTo(MessageStatus.READ));
        assertTrue(MessageStatus.SENT.canAdvanceTo(MessageStatus.READ));
        assertFalse(MessageStatus.READ.canAdvanceTo(MessageStatus.DELIVERED));
        assertFalse(MessageStatus.DELIVERED.canAdvanceTo(MessageStatus.SENT));
        assertFalse(MessageStatus.READ.canAdvanceTo(MessageStatus.READ));
    }

    @Test
    void errorIsKeptButNeverOverridesRead() {
        assertTrue(MessageStatus.SENT.canAdvanceTo(MessageStatus.ERROR));
        assertTrue(MessageStatus.DELIVERED.canAdvanceTo(MessageStatus.ERROR));
        assertFalse(MessageStatus.READ.canAdvanceTo(MessageStatus.ERROR));
        assertFalse(MessageStatus.ERROR.canAdvanceTo(MessageStatus.DELIVERED));
        assertFalse(MessageStatus.ERROR.canAdvanceTo(MessageStatus.READ));
    }

    @Test
    void pactStringsMapAndUnknownOnesAreEmpty() {
        assertEquals(Optional.of(MessageStatus.READ), MessageStatus.fromPact("read"));
        assertEquals(Optional.of(MessageStatus.CREATED), MessageStatus.fromPact("created"));
        assertEquals(Optional.empty(), MessageStatus.fromPact("played"));
        assertEquals(Optional.empty(), MessageStatus.fromPact(null));
    }
}
