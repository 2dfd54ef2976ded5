-- The apology reaches the citizen (Nghị định 61/2018 Điều 19 khoản 9): one row per notice
-- of an issued letter version on one channel. A notice is staged 'queued' with no channel
-- in the transaction that issues the version; the sender asks intake for the citizen's
-- preference and contact at send time and fixes the channel (SMS and Zalo carry a short
-- link, e-mail the PDF, 'post' waits for the day's print batch). A permanent failure
-- queues the next notice on the citizen's next channel (SMS → Zalo → post), which names
-- the one it follows. Receipts move the state (motcua.delivery.judge). No contact is
-- kept: the reason is the channel's own words, never the destination.
-- depends: 0008.letters_through_outbox
CREATE TABLE letter_print_batches (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_code   text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    posted_by   text,
    posted_at   timestamptz
);

CREATE TABLE letter_notices (
    id                uuid        PRIMARY KEY,
    letter_id         bigint      NOT NULL REFERENCES apology_letters (id) ON DELETE CASCADE,
    letter_version    integer     NOT NULL,
    channel           text        CHECK (channel IN ('sms', 'zalo', 'email', 'post')),
    state             text        NOT NULL DEFAULT 'queued' CHECK (state IN (
                          'queued', 'sent', 'delivered', 'failed_temporary',
                          'failed_permanent', 'posted')),
    reason            text,
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    sent_at           timestamptz,
    delivered_at      timestamptz,
    failed_at         timestamptz,
    follows_notice_id uuid        REFERENCES letter_notices (id),
    print_batch_id    bigint      REFERENCES letter_print_batches (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (letter_id, letter_version, channel),
    FOREIGN KEY (letter_id, letter_version)
        REFERENCES apology_letter_versions (letter_id, version) ON DELETE CASCADE
);

-- The sender's queue: what is due (a new notice, a retry, after quiet hours).
CREATE INDEX letter_notices_due ON letter_notices (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL;
-- The print queue: letters to post not yet in a batch.
CREATE INDEX letter_notices_to_print ON letter_notices (letter_id)
    WHERE channel = 'post' AND state = 'queued' AND print_batch_id IS NULL;
CREATE INDEX letter_notices_letter ON letter_notices (letter_id, letter_version);

-- The short link of SMS and Zalo notices: only the SHA-256 of the token is kept, so a dump
-- of this schema opens no letter; the link serves that one version's PDF until it expires.
CREATE TABLE letter_links (
    token_sha256    bytea       PRIMARY KEY,
    letter_id       bigint      NOT NULL,
    letter_version  integer     NOT NULL,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (letter_id, letter_version)
        REFERENCES apology_letter_versions (letter_id, version) ON DELETE CASCADE
);
CREATE INDEX letter_links_expiry ON letter_links (expires_at);

-- What the recording channel (local stack, tests) would have sent, as in ratings: the
-- text, its link and the attachment's name; the destination masked.
CREATE TABLE recorded_messages (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice_id          uuid        NOT NULL REFERENCES letter_notices (id) ON DELETE CASCADE,
    channel            text        NOT NULL CHECK (channel IN ('sms', 'email', 'zalo')),
    kind               text        NOT NULL,
    destination_masked text,
    subject            text,
    link               text        NOT NULL,
    body               text        NOT NULL,
    attachment         text,
    recorded_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recorded_messages_notice ON recorded_messages (notice_id);
