/**
 * Handlers that {@code HandlerJarsTest} puts into jars, the good and the broken. The test hides
 * this package from the class loader it gives as the jars' parent, as a web application's class
 * loader does not hold a handler jar's classes: they load from the jars or not at all.
 */
package dev.offload.engine.jarfixtures;
