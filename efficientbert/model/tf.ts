/**
 * tfjs-core with every op's gradient registered. tfjs-core's Node entry registers no gradients
 * (the umbrella package does that), so all model and training code imports tfjs through here.
 *
 * Order matters: the CommonJS entry must load first so that it creates the global engine. The
 * gradient registrations exist only as ES modules, which load a second copy of tfjs-core's
 * modules; had that copy created the engine, every tensor would be of its class, whose op
 * handler (clone, cast) is never installed.
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export * from '@tensorflow/tfjs-core';
