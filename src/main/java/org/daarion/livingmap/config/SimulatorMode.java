package org.daarion.livingmap.config;

/** Whether the built-in simulator of the DAARION network runs inside the service. */
public enum SimulatorMode {
  AUTO,
  ON,
  OFF
}
