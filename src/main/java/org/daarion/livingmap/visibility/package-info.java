/**
 * The visibility door: what a caller may see, as one pure filter ({@link
 * org.daarion.livingmap.visibility.Visibility}) applied where response and stream bytes are
 * prepared.
 */
package org.daarion.livingmap.visibility;
