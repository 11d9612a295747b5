-- The transactional outbox: a service writes its state change and the message in one transaction; the dispatcher
-- publishes pending rows in id order and marks them sent. Sent rows are kept for a day, to see what went out.
CREATE TABLE outbox_messages (
    id             bigserial PRIMARY KEY,
    message_id     uuid NOT NULL UNIQUE,
    topic          text NOT NULL,
    message_type   text NOT NULL,
    ordering_key   text,
    body           bytea NOT NULL,
    attributes     jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    sent_at        timestamptz,
    publish_attempts int NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX outbox_messages_pending ON outbox_messages (id) WHERE sent_at IS NULL;

-- The inbox: one row per message a subscription has handled, written in the handler's transaction, so a redelivered
-- or re-sent message (same message_id) runs its handler's effects once. Rows outlive Pub/Sub's 7-day retention.
CREATE TABLE inbox_messages (
    subscription   text NOT NULL,
    message_id     uuid NOT NULL,
    message_type   text NOT NULL,
    handled_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription, message_id)
);
CREATE INDEX inbox_messages_handled ON inbox_messages (handled_at);

-- Running totals per subscription, flushed by each subscriber about once a second; the dashboard shows them.
CREATE TABLE subscription_stats (
    subscription   text PRIMARY KEY,
    handled        bigint NOT NULL DEFAULT 0,
    failed         bigint NOT NULL DEFAULT 0,
    dead_lettered  bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- What the ping message type leaves behind: which subscription handled a ping, how many times, on which delivery.
CREATE TABLE message_pings (
    ping_id          uuid NOT NULL,
    subscription     text NOT NULL,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    handled_count    int NOT NULL DEFAULT 1,
    delivery_attempt int NOT NULL,
    trace_id         text,
    handled_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ping_id, subscription)
);
