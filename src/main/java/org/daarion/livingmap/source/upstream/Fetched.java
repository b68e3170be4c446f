package org.daarion.livingmap.source.upstream;

import java.util.List;
import org.daarion.livingmap.event.UpstreamPoll;

/**
 * What one successful fetch of one source produced.
 *
 * @param poll what goes to the live state
 * @param paths the paths that answered, in the order asked
 * @param fallback whether a real-DAARION fallback path served instead of the spec path
 * @param retries requests that needed more than one try
 * @param problems parts of the source that failed while others answered (the poll is partial)
 */
record Fetched(
    UpstreamPoll poll, List<String> paths, boolean fallback, int retries, List<String> problems) {
  Fetched {
    paths = List.copyOf(paths);
    problems = List.copyOf(problems);
  }
}
