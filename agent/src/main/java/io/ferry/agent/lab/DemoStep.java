package io.ferry.agent.lab;

import java.time.Duration;

/** One step of the lab demo, as printed: what was done and how long it took. */
public record DemoStep(String name, String detail, Duration duration) {}
