/**
 * The typed binding of protobuf-es service descriptors to @grpc/grpc-js.
 *
 * grpc-js wants a `ServiceDefinition`: a path and a serializer pair per method.
 * Every one of those is derived from the generated descriptor, so no service
 * ever hand-writes per-method glue; the runtime package builds servers and
 * clients on top of these definitions.
 */

import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** The HTTP/2 path of a method: `/nimbus.compute.v1.ComputeService/RunInstances`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** The grpc-js definition of one method, with protobuf-es (de)serializers. */
export function methodDefinition<I extends DescMessage, O extends DescMessage>(
  method: DescMethod & { input: I; output: O },
): MethodDefinition<MessageShape<I>, MessageShape<O>> {
  const { input, output } = method;
  return {
    path: methodPath(method),
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: (message) => Buffer.from(toBinary(input, message)),
    requestDeserialize: (bytes) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, message)),
    responseDeserialize: (bytes) => fromBinary(output, bytes),
    originalName: method.localName,
  };
}

/** The grpc-js definition of a whole service, keyed by each method's local (camelCase) name. */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = methodDefinition(method) as MethodDefinition<unknown, unknown>;
  }
  return definition as ServiceDefinition;
}
