"""Ordered schema migrations of the workspace database.

Append new migrations to :data:`MIGRATIONS`; never edit one that has shipped. Migration *n*
takes a database from schema version *n-1* to *n*.
"""

from __future__ import annotations

_V1_CORE = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);

CREATE TABLE users (
    username TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('analyst', 'partner', 'public')),
    password_hash TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    who TEXT NOT NULL,
    role TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    purpose TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;

CREATE TABLE datasets (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at TEXT NOT NULL
);

CREATE TABLE analyses (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    parameters TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

_V1_ASSETS = """
CREATE TABLE assets (
    asset_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    sector TEXT NOT NULL,
    services TEXT NOT NULL,
    serves TEXT NOT NULL,
    opening_times TEXT NOT NULL,
    contact TEXT NOT NULL,
    source TEXT NOT NULL,
    last_verified TEXT,
    lon REAL NOT NULL,
    lat REAL NOT NULL,
    postcode TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    version INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE INDEX assets_category ON assets (category);

CREATE TABLE asset_history (
    asset_id TEXT NOT NULL REFERENCES assets (asset_id),
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (asset_id, version)
);
"""

_V1_SITES = """
CREATE TABLE sites (
    site_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    geometry BLOB NOT NULL,
    reason TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    chosen_on TEXT NOT NULL,
    score TEXT NOT NULL
);

CREATE TABLE phases (
    site_id INTEGER NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    phase TEXT NOT NULL CHECK (phase IN ('baseline', 'clear', 'hold', 'build')),
    start_month TEXT NOT NULL,
    end_month TEXT,
    PRIMARY KEY (site_id, phase)
);
"""

_V2_SIGNED = """
ALTER TABLE users ADD COLUMN role_mac TEXT;

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_OPERATIONS = """
ALTER TABLE users ADD COLUMN agency TEXT NOT NULL DEFAULT '';

CREATE TABLE phases_cyclic (
    site_id INTEGER NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('baseline', 'clear', 'hold', 'build')),
    start_month TEXT NOT NULL,
    end_month TEXT,
    PRIMARY KEY (site_id, seq)
);

INSERT INTO phases_cyclic (site_id, seq, phase, start_month, end_month)
SELECT site_id, CASE phase WHEN 'baseline' THEN 0 WHEN 'clear' THEN 1 WHEN 'hold' THEN 2
       ELSE 3 END, phase, start_month, end_month FROM phases;

DROP TABLE phases;

ALTER TABLE phases_cyclic RENAME TO phases;

CREATE TABLE activities (
    site_id INTEGER NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    activity_id TEXT NOT NULL,
    date TEXT NOT NULL,
    phase TEXT NOT NULL,
    pillar TEXT NOT NULL CHECK (pillar IN ('pursue', 'prevent', 'protect', 'prepare')),
    agency TEXT NOT NULL,
    activity_type TEXT NOT NULL,
    outcome TEXT NOT NULL,
    zone TEXT NOT NULL,
    notes TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (site_id, activity_id)
);

CREATE TABLE activity_history (
    site_id INTEGER NOT NULL,
    activity_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (site_id, activity_id, version)
);

CREATE TABLE morile_scores (
    site_id INTEGER NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    ocg_ref TEXT NOT NULL,
    score REAL NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    PRIMARY KEY (site_id, date, ocg_ref)
);

CREATE TABLE perception_waves (
    site_id INTEGER NOT NULL REFERENCES sites (site_id) ON DELETE CASCADE,
    wave TEXT NOT NULL,
    question TEXT NOT NULL,
    response TEXT NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (site_id, wave, question, response)
);
"""

#: Structured asset fields (capabilities, 4P pillars, engagement, owner, external id).
_ASSET_FIELDS = """
ALTER TABLE assets ADD COLUMN capabilities TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN capabilities_other TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN pillars TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN engagement TEXT NOT NULL DEFAULT 'not contacted';
ALTER TABLE assets ADD COLUMN contact_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_external_id ON assets (external_id);
"""

#: Data-sharing records per dataset (owner agency, ISA, legal basis, marking, widest role,
#: delete-by date); a deleted dataset keeps its record (status 'deleted') for the DPO.
_SHARING = """
CREATE TABLE dataset_sharing (
    dataset TEXT PRIMARY KEY,
    owner_agency TEXT NOT NULL,
    isa_reference TEXT NOT NULL,
    dpia_reference TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL,
    protective_marking TEXT NOT NULL,
    widest_role TEXT NOT NULL CHECK (widest_role IN ('analyst', 'partner', 'public')),
    delete_by TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'deleted')),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    deleted_by TEXT,
    deleted_at TEXT,
    deleted_reason TEXT
);
"""

#: Disclosure releases: released base values of one version of the data (file beside the
#: workspace), one row each, never replaced (:mod:`geosoc.workspace.releases`).
_RELEASES = """
CREATE TABLE releases (
    release_id INTEGER PRIMARY KEY,
    data_digest TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    rows INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (data_digest, rules_digest)
);
"""

#: Migration scripts in order; index 0 is schema version 1.
MIGRATIONS: tuple[str, ...] = (
    _V1_CORE + _V1_ASSETS + _V1_SITES,
    _V2_SIGNED,
    _ASSET_FIELDS,
    _OPERATIONS,
    _SHARING,
    _RELEASES,
)

#: Tables every migrated workspace has (a missing one means the file was damaged).
REQUIRED_TABLES = ("schema_version", "users", "audit_log", "datasets", "analyses", "assets",
                   "asset_history", "sites", "phases", "settings", "activities",
                   "activity_history", "morile_scores", "perception_waves",
                   "dataset_sharing", "releases")
