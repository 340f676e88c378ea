//DEPS org.ow2.asm:asm:9.7.1
package workbook.bytecode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * What a lab's compiled classes use, read from their class files with ASM: the methods each one
 * calls and refers to, and the classes it names. For the tests that judge code by what it uses (a
 * thread count read, a clock read, a CompletableFuture ...Async given no executor), in whichever
 * class of the lab it sits. Only the tests that need it include this file (//SOURCES): its //DEPS
 * is the one place the ASM version is declared.
 */
public final class ClassCode {
  private ClassCode() {}

  /**
   * One use of a method in a class's code: the method it sits in ({@code in}, {@code inDescriptor}),
   * the method used (its owner in the class file's form, java/lang/System, its name and
   * descriptor), and whether it is a method reference (System::nanoTime as a LongSupplier, a
   * lambda's body: an argument of invokedynamic) rather than a call.
   */
  public record Call(String in, String inDescriptor, String owner, String name, String descriptor, boolean reference) {}

  /** Every call and method reference in the code of {@code type}'s methods (constructors and lambdas' bodies too). */
  public static List<Call> calls(Class<?> type) {
    List<Call> calls = new ArrayList<>();
    new ClassReader(classFile(type)).accept(new ClassVisitor(Opcodes.ASM9) {
      @Override
      public MethodVisitor visitMethod(int access, String in, String inDescriptor, String signature, String[] exceptions) {
        return new MethodVisitor(Opcodes.ASM9) {
          @Override public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            calls.add(new Call(in, inDescriptor, owner, name, descriptor, false));
          }

          @Override public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap, Object... arguments) {
            for (Object argument : arguments) {
              if (argument instanceof Handle h) calls.add(new Call(in, inDescriptor, h.getOwner(), h.getName(), h.getDesc(), true));
            }
          }
        };
      }
    }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
    return calls;
  }

  /** Every class {@code type}'s class file names (its constant pool's classes: what its code uses), as binary names (A$B). */
  public static Set<String> classesNamed(Class<?> type) {
    ClassReader reader = new ClassReader(classFile(type));
    char[] buffer = new char[reader.getMaxStringLength()];
    Set<String> named = new LinkedHashSet<>();
    for (int i = 1; i < reader.getItemCount(); i++) {
      int offset = reader.getItem(i);
      if (offset <= 0 || reader.readByte(offset - 1) != 7) continue; // 7: CONSTANT_Class
      String name = reader.readUTF8(offset, buffer);
      named.add((name.startsWith("[") ? name.replaceAll("^\\[+L|;$", "") : name).replace('/', '.'));
    }
    return named;
  }

  /** The class file of {@code type}, as its class loader has it (or as it lies in its jar or folder). */
  public static byte[] classFile(Class<?> type) {
    String file = type.getName().replace('.', '/') + ".class";
    try (InputStream in = type.getClassLoader().getResourceAsStream(file)) {
      if (in != null) return in.readAllBytes();
      // a class loader without resources: read it where the class was loaded from, a folder or a jar
      Path where = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isDirectory(where)) return Files.readAllBytes(where.resolve(file));
      try (JarFile jar = new JarFile(where.toFile()); InputStream entry = jar.getInputStream(jar.getEntry(file))) {
        return entry.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("the test could not read the class file of " + type.getName(), e);
    } catch (URISyntaxException | RuntimeException e) {
      throw new IllegalStateException("the test could not read the class file of " + type.getName() + ": " + e, e);
    }
  }
}
