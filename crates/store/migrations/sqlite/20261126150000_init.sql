-- Portolan history, schema 1 (SQLite). Times are Unix seconds (UTC). The PostgreSQL twin of this file is
-- ../postgres/20261126150000_init.sql: keep both in step (same tables, columns and indexes).

CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    scanner       TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    args          TEXT    NOT NULL,
    profile       TEXT,
    started       INTEGER NOT NULL,
    ended         INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('running', 'complete', 'interrupted')),
    source        TEXT    NOT NULL,
    source_file   TEXT,
    writer_host   TEXT,
    writer_pid    INTEGER,
    writer_boot   TEXT,
    writer_start  TEXT,
    heartbeat     INTEGER,
    hosts_up      INTEGER NOT NULL DEFAULT 0,
    hosts_down    INTEGER NOT NULL DEFAULT 0,
    hosts_total   INTEGER NOT NULL DEFAULT 0,
    open_ports    INTEGER NOT NULL DEFAULT 0,
    report_json   TEXT
);
CREATE INDEX scans_started ON scans (started, id);
CREATE INDEX scans_profile ON scans (profile);
CREATE INDEX scans_status ON scans (status);

CREATE TABLE hosts (
    id          INTEGER PRIMARY KEY,
    scan_id     INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    ord         INTEGER NOT NULL,
    ip          TEXT,
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    start_time  INTEGER,
    end_time    INTEGER,
    latency     REAL,
    timed_out   INTEGER NOT NULL DEFAULT 0,
    distance    INTEGER,
    uptime      INTEGER,
    last_boot   TEXT
);
CREATE INDEX hosts_scan ON hosts (scan_id, ord);
CREATE INDEX hosts_state ON hosts (state);

CREATE TABLE addresses (
    id        INTEGER PRIMARY KEY,
    host_id   INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    addr      TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    -- Fixed-width hex of the address as IPv6 (IPv4 mapped), so that a CIDR is a range of this text.
    addr_key  TEXT,
    vendor    TEXT
);
CREATE INDEX addresses_host ON addresses (host_id);
CREATE INDEX addresses_key ON addresses (addr_key);
CREATE INDEX addresses_addr ON addresses (addr);

CREATE TABLE hostnames (
    id       INTEGER PRIMARY KEY,
    host_id  INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    kind     TEXT    NOT NULL
);
CREATE INDEX hostnames_host ON hostnames (host_id);
CREATE INDEX hostnames_name ON hostnames (name);

CREATE TABLE ports (
    id          INTEGER PRIMARY KEY,
    host_id     INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    protocol    TEXT    NOT NULL,
    port        INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    reason_ttl  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ports_host ON ports (host_id, protocol, port);
CREATE INDEX ports_port ON ports (port, state);

CREATE TABLE services (
    port_id      INTEGER PRIMARY KEY REFERENCES ports (id) ON DELETE CASCADE,
    host_id      INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    conf         INTEGER NOT NULL,
    product      TEXT,
    version      TEXT,
    extra_info   TEXT,
    tunnel       TEXT,
    os_type      TEXT,
    device_type  TEXT,
    hostname     TEXT,
    cpe          TEXT,
    fingerprint  TEXT
);
CREATE INDEX services_host ON services (host_id);
CREATE INDEX services_name ON services (name);
CREATE INDEX services_product ON services (product);

CREATE TABLE os_matches (
    id        INTEGER PRIMARY KEY,
    host_id   INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    accuracy  INTEGER NOT NULL,
    line      INTEGER NOT NULL,
    -- vendor, family, generation and device type of every class, space-separated, for search.
    classes   TEXT    NOT NULL
);
CREATE INDEX os_matches_host ON os_matches (host_id);

CREATE TABLE trace_hops (
    id       INTEGER PRIMARY KEY,
    host_id  INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    ttl      INTEGER NOT NULL,
    addr     TEXT,
    rtt_ms   REAL,
    name     TEXT
);
CREATE INDEX trace_hops_host ON trace_hops (host_id);

CREATE TABLE script_results (
    id         INTEGER PRIMARY KEY,
    host_id    INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    port_id    INTEGER REFERENCES ports (id) ON DELETE CASCADE,
    script_id  TEXT    NOT NULL,
    output     TEXT    NOT NULL
);
CREATE INDEX script_results_host ON script_results (host_id);
CREATE INDEX script_results_port ON script_results (port_id);
CREATE INDEX script_results_id ON script_results (script_id);
