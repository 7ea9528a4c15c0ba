package io.ferry.agent.plan;

/** Plan JSON used by several tests. */
final class Plans {

  private Plans() {}

  /** The smallest valid plan: everything else defaults. */
  static final String MINIMAL = """
      {"source": {"qmp": "/run/vm1/src.qmp"},
       "destination": {"qmp": "/run/vm1/dst.qmp"},
       "uri": "unix:/run/vm1/mig.sock"}
      """;

  /** Every field set, shaped like issue 4's example. */
  static final String FULL = """
      {
        "id": "vm1-to-b",
        "source":      {"qmp": "/run/vm1/src.qmp"},
        "destination": {"qmp": "/run/vm1/dst.qmp", "agent": "https://host-b:7443"},
        "uri": "tcp:host-b:4444",
        "mode": "unplug-replug",
        "commit": "before-replug",
        "devices": [
          {"id": "hostnet1", "policy": "requisite",
           "destination": {"driver": "vfio-pci", "host": "0000:3b:01.0", "bus": "rp2",
                           "rombar": 0, "x-enable-migration": false}},
          {"id": "hostnet2"}
        ],
        "timeouts": {"unplug": "500ms", "migration": "2m", "replug": "1h"},
        "migration": {"capabilities": {"auto-converge": true, "events": true},
                      "parameters": {"downtime-limit": 300, "max-bandwidth": 0,
                                     "multifd-compression": "none", "x-ratio": 0.5}}
      }
      """;
}
